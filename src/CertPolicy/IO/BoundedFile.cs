using System.Globalization;
using System.Runtime.InteropServices;

namespace CertPolicy.IO;

/// <summary>
/// The one file reader of the libraries and the CLI (issue 14, "bounded reads everywhere"). A path is first judged by
/// its file type, without opening it: only a regular file (or a symbolic link to one) is read. A directory, a device
/// (<c>/dev/zero</c>, <c>/dev/null</c>, a terminal), a FIFO (opening one without a writer blocks forever) or a socket
/// is refused. A regular file is then read in chunks up to a cap, never trusting its reported length (files under
/// <c>/proc</c> report 0 bytes but hold text). Errors are a reason without the path (<c>is a device, not a file</c>):
/// the caller puts it after <c>path: </c> or into a diagnostic that names the file.
/// </summary>
internal static partial class BoundedFile
{
    /// <summary>The default cap: the CLI's input files (policy tables of 100 000 entries are a few MB).</summary>
    internal const long MaxBytes = 64L * 1024 * 1024;

    private const int ChunkBytes = 64 * 1024;

    /// <summary>What a path names, as far as reading it is concerned.</summary>
    internal enum Kind
    {
        /// <summary>A regular file (possibly behind a symbolic link): the only kind that is read.</summary>
        Regular,

        /// <summary>Nothing exists at the path (or a symbolic link points nowhere).</summary>
        Missing,

        /// <summary>A directory.</summary>
        Directory,

        /// <summary>A character or block device.</summary>
        Device,

        /// <summary>A FIFO (named pipe); also what a shell's process substitution hands over.</summary>
        Fifo,

        /// <summary>A Unix domain socket.</summary>
        Socket,
    }

    /// <summary>
    /// Learns the type of the file at <paramref name="path"/> without opening it (Linux <c>statx(2)</c>, following
    /// symbolic links as <c>open(2)</c> would). Elsewhere, or where <c>statx</c> is missing, only "missing" and
    /// "directory" are told apart from "regular"; the read cap still bounds what is read.
    /// </summary>
    internal static Kind GetKind(string path)
    {
        if (OperatingSystem.IsLinux() && TryStatxMode(path, out int mode, out bool missing))
        {
            if (missing)
            {
                return Kind.Missing;
            }

            return (mode & SIfMt) switch
            {
                SIfReg => Kind.Regular,
                SIfDir => Kind.Directory,
                SIfChr or SIfBlk => Kind.Device,
                SIfIfo => Kind.Fifo,
                SIfSock => Kind.Socket,
                _ => Kind.Device, // S_IFLNK cannot be returned when links are followed; anything else is not a file
            };
        }

        return Directory.Exists(path) ? Kind.Directory : File.Exists(path) ? Kind.Regular : Kind.Missing;
    }

    /// <summary>Null when <paramref name="path"/> is a regular file that may be opened; else why not (without the path).</summary>
    internal static string? CheckReadable(string path) => Reason(GetKind(path));

    /// <summary>Why a path of this kind is not read; null for a regular file.</summary>
    internal static string? Reason(Kind kind) => kind switch
    {
        Kind.Regular => null,
        Kind.Missing => "no such file",
        Kind.Directory => "is a directory",
        Kind.Fifo => "is a pipe (FIFO), not a file",
        Kind.Socket => "is a socket, not a file",
        _ => "is a device, not a file",
    };

    /// <summary>
    /// Reads the regular file at <paramref name="path"/> whole, refusing it when it holds more than
    /// <paramref name="maxBytes"/> bytes (counted while reading). Never throws on I/O: the error is one line (a reason).
    /// </summary>
    internal static bool TryRead(string path, long maxBytes, out byte[] bytes, out string error)
    {
        bytes = [];
        error = CheckReadable(path) ?? string.Empty;
        if (error.Length > 0)
        {
            return false;
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            return TryReadStream(stream, maxBytes, out bytes, out error);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = "cannot read: " + ex.Message;
            return false;
        }
    }

    /// <summary>Reads <paramref name="stream"/> to its end under the cap (standard input, an opened file).</summary>
    internal static bool TryReadStream(Stream stream, long maxBytes, out byte[] bytes, out string error)
    {
        bytes = [];
        error = string.Empty;
        using var buffer = new MemoryStream();
        var chunk = new byte[ChunkBytes];
        int n;
        try
        {
            while ((n = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, maxBytes + 1 - buffer.Length))) > 0)
            {
                buffer.Write(chunk, 0, n);
                if (buffer.Length > maxBytes)
                {
                    error = "input is larger than " + Size(maxBytes) + " (a device or an endless stream?)";
                    return false;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            error = "cannot read: " + ex.Message;
            return false;
        }

        bytes = buffer.ToArray();
        return true;
    }

    private static string Size(long bytes) => bytes % (1024 * 1024) == 0
        ? (bytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture) + " MiB"
        : bytes.ToString(CultureInfo.InvariantCulture) + " bytes";

    // <sys/stat.h> file type bits (POSIX, identical on every Linux architecture).
    private const int SIfMt = 0xF000;
    private const int SIfSock = 0xC000;
    private const int SIfReg = 0x8000;
    private const int SIfBlk = 0x6000;
    private const int SIfDir = 0x4000;
    private const int SIfChr = 0x2000;
    private const int SIfIfo = 0x1000;

    // statx(2) (Linux 4.11, glibc 2.28): unlike struct stat, struct statx has one layout on every architecture, so
    // the P/Invoke needs no per-architecture struct. stx_mode is the u16 at offset 28 of the 256-byte buffer.
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x0001;
    private const int StatxModeOffset = 28;
    private const int StatxSize = 256;
    private const int ENoEnt = 2;
    private const int ENotDir = 20;
    private const int ELoop = 40;

    private static bool TryStatxMode(string path, out int mode, out bool missing)
    {
        mode = 0;
        missing = false;
        byte[] buffer = new byte[StatxSize];
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                missing = errno is ENoEnt or ENotDir or ELoop;
                return missing; // another error (EACCES on a parent, ...): let the open report it
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // a C library without statx (old glibc, musl before 1.2.5): fall back
        }

        mode = buffer[StatxModeOffset] | (buffer[StatxModeOffset + 1] << 8);
        if (!BitConverter.IsLittleEndian)
        {
            mode = (buffer[StatxModeOffset] << 8) | buffer[StatxModeOffset + 1];
        }

        return true;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);
}

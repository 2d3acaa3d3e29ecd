using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Evaluation;
using CertPolicy.Names;
using CertPolicy.Tls;
using CertPolicy.Validation;
using Microsoft.Extensions.Logging;

namespace CertPolicy.Net;

/// <summary>What <see cref="CertPolicyValidation.CreateCallback"/> checks a server against.</summary>
public sealed class CertPolicyValidationOptions
{
    /// <summary>
    /// The compiled policy (tables, trust store, profile and floor compiled once; its chain-verdict cache serves every
    /// handshake). When null, the callback compiles one from <see cref="Validator"/>, <see cref="Profile"/>,
    /// <see cref="Floor"/> and <see cref="MatchList"/> at level <c>secure</c>, once per <see cref="CertPolicyValidation.CreateCallback"/>.
    /// </summary>
    public CompiledPolicy? Policy { get; init; }

    /// <summary>The validation engine with its trust store (curated manifest or a <see cref="CustomTrust"/> store); used when <see cref="Policy"/> is null.</summary>
    public ChainValidator? Validator { get; init; }

    /// <summary>The next-hop domain the connection is for (names, R-C2).</summary>
    public required string NextHop { get; init; }

    /// <summary>The MX host name connected to (the <c>hostname</c> strategy), or null.</summary>
    public string? MxHost { get; init; }

    /// <summary>The match list; default Postfix's <c>secure</c> list (<c>nexthop:dot-nexthop</c>). Ignored when <see cref="Policy"/> is set (its entry's or default's list applies).</summary>
    public MatchList MatchList { get; init; } = MatchList.SecureDefault;

    /// <summary>The profile; default <see cref="ValidationProfile.Partner2026"/>. Ignored when <see cref="Policy"/> is set.</summary>
    public ValidationProfile Profile { get; init; } = ValidationProfile.Partner2026;

    /// <summary>
    /// The floor for the negotiated protocol and cipher suite (R-T2..R-T5); default
    /// <see cref="TlsFloor.Partner2026"/>; null to leave them unchecked. The callback checks it when its
    /// sender is the <see cref="SslStream"/> (raw <c>SslStream</c> use: .NET has negotiated both by then).
    /// MailKit passes the host name as the sender, so MailKit users call
    /// <see cref="CertPolicyValidation.EnsureNegotiatedTls"/> after <c>Connect</c>. With <see cref="Policy"/> set, the
    /// policy's own floor is applied and this property only switches the check on (non-null) or off (null).
    /// </summary>
    public TlsFloor? Floor { get; init; } = TlsFloor.Partner2026;

    /// <summary>The clock the validation time comes from; default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where each verdict is logged (Information when compliant, Warning otherwise), or null.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Called with every certificate report (for metrics, monitoring, R-T11), or null. A session refused only
    /// for its protocol or suite (<see cref="Floor"/>) still has a compliant certificate report here; the
    /// refusal is logged and, with <see cref="ThrowOnFailure"/>, in the exception.
    /// </summary>
    public Action<ValidationReport>? OnVerdict { get; init; }

    /// <summary>
    /// When true a non-compliant server makes the callback throw <see cref="CertificatePolicyException"/>
    /// (carrying the report, so MailKit's <c>SslHandshakeException</c> shows the findings as its inner
    /// exception); when false (default) the callback returns false, as the delegate contract expects.
    /// </summary>
    public bool ThrowOnFailure { get; init; }
}

/// <summary>
/// A <see cref="RemoteCertificateValidationCallback"/> that enforces the partner policy instead of the
/// platform's default checks: for <see cref="SslStream"/> (<c>RemoteCertificateValidationCallback</c>)
/// and MailKit (<c>client.ServerCertificateValidationCallback = CertPolicyValidation.CreateCallback(...)</c>).
/// </summary>
/// <remarks>
/// The chain is built by CertPolicy from the leaf and the certificates the server sent: in .NET the
/// callback's <see cref="X509Chain.ChainPolicy"/> <c>ExtraStore</c> holds the peer's other certificates
/// (dotnet/runtime SslStream.Protocol.cs adds them there); the platform's chain elements and
/// <see cref="SslPolicyErrors"/> are ignored (they reflect the system store, not the curated one), and
/// nothing is downloaded. Does not check revocation. Any exception inside validation fails closed.
/// </remarks>
public static partial class CertPolicyValidation
{
    /// <summary>Creates the callback.</summary>
    /// <param name="options">What to check against.</param>
    /// <exception cref="ArgumentNullException">A null argument.</exception>
    public static RemoteCertificateValidationCallback CreateCallback(CertPolicyValidationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.NextHop);
        var policy = options.Policy ?? new CompiledPolicy(
            [],
            options.Validator ?? throw new ArgumentException("set Policy or Validator", nameof(options)),
            new CompiledPolicyOptions
            {
                CacheSize = 256,
                Profile = options.Profile,
                Floor = options.Floor ?? TlsFloor.Partner2026,
                DefaultLevel = Policy.SecurityLevel.Secure,
                DefaultMatchList = options.MatchList,
            });
        return (sender, certificate, chain, _) => Validate(options, policy, sender, certificate, chain);
    }

    /// <summary>
    /// Checks the protocol and suite a client negotiated against a floor (R-T2..R-T5), for clients that
    /// expose them after the handshake (MailKit: <c>client.SslProtocol</c>, <c>client.SslCipherSuite</c>).
    /// Fails closed: an unknown protocol, or no suite, is not acceptable.
    /// </summary>
    /// <param name="protocol">The negotiated protocol.</param>
    /// <param name="suite">The negotiated suite, or null when the client does not know it.</param>
    /// <param name="floor">The floor, e.g. <see cref="TlsFloor.Partner2026"/>.</param>
    /// <returns>The typed result.</returns>
    /// <exception cref="ArgumentNullException">A null floor.</exception>
    public static NegotiatedTlsCheck CheckNegotiatedTls(SslProtocols protocol, TlsCipherSuite? suite, TlsFloor floor)
    {
        ArgumentNullException.ThrowIfNull(floor);
        var p = TlsProtocols.FromSslProtocols(protocol);
        ushort id = suite is { } s ? (ushort)s : (ushort)0; // 0x0000 is TLS_NULL_WITH_NULL_NULL: never acceptable
        return new NegotiatedTlsCheck(p, id, TlsFloor.Check(p, id, floor));
    }

    /// <summary>
    /// <see cref="CheckNegotiatedTls(SslProtocols, TlsCipherSuite?, TlsFloor)"/> that throws
    /// <see cref="CertificatePolicyException"/> (its message names each failed rule) when the floor is not met:
    /// one line after MailKit's <c>Connect</c>, which cannot show the negotiated suite to the certificate callback.
    /// </summary>
    /// <param name="protocol">The negotiated protocol.</param>
    /// <param name="suite">The negotiated suite, or null when the client does not know it.</param>
    /// <param name="floor">The floor; null for <see cref="TlsFloor.Partner2026"/>.</param>
    /// <param name="nextHop">The next hop, for the message; may be null.</param>
    /// <returns>The (acceptable) result.</returns>
    /// <exception cref="CertificatePolicyException">The negotiated parameters do not meet the floor.</exception>
    public static NegotiatedTlsCheck EnsureNegotiatedTls(SslProtocols protocol, TlsCipherSuite? suite, TlsFloor? floor = null, string? nextHop = null)
    {
        floor ??= TlsFloor.Partner2026;
        var check = CheckNegotiatedTls(protocol, suite, floor);
        if (!check.IsAcceptable)
        {
            throw new CertificatePolicyException($"{nextHop ?? "server"}: negotiated TLS does not meet the policy: {DescribeFloor(check, floor)}", check);
        }

        return check;
    }

    private static string DescribeFloor(NegotiatedTlsCheck check, TlsFloor floor)
    {
        return TlsProtocols.ToOpenSslName(check.Protocol) + " with " + CipherSuiteTable.NameOf(check.Suite) + " (profile " + floor.Name + "): " + string.Join("; ", floor.Explain(check.Protocol, check.Suite));
    }

    // Per handshake: the presented chain goes into a per-thread buffer (no copy of the certificates: RawDataMemory), the
    // compiled policy's flag path decides (0 B on a cache hit), and the report is built only on failure or when a logger
    // or OnVerdict asks for it.
    private static bool Validate(CertPolicyValidationOptions o, CompiledPolicy policy, object? sender, X509Certificate? certificate, X509Chain? chain)
    {
        ConnectionReport? report = null;
        NegotiatedSession? session = null;
        var verdict = default(ConnectionVerdict);
        bool checkTls = o.Floor is not null && sender is SslStream;
        var buffer = t_chain ??= new PresentedChain();
        try
        {
            if (certificate is null)
            {
                LogNoCertificate(Logger(o), o.NextHop);
                return Fail(o, null, "the server sent no certificate");
            }

            buffer.Fill(certificate, chain);
            var now = o.TimeProvider.GetUtcNow();
            if (checkTls)
            {
                // Read inside the handshake: .NET has negotiated both when it asks for the certificate decision
                // (checked on Linux/OpenSSL in CallbackTests); an exception here fails closed below.
                var stream = (SslStream)sender!;
                session = new NegotiatedSession(TlsProtocols.FromSslProtocols(stream.SslProtocol), (ushort)stream.NegotiatedCipherSuite);
                verdict = policy.Evaluate(o.NextHop, o.MxHost, buffer, session.Value.Protocol, session.Value.CipherSuite, now);
            }
            else
            {
                verdict = policy.EvaluateCertificate(o.NextHop, o.MxHost, buffer, now);
            }

            var logger = Logger(o);
            if (verdict.IsCompliant && o.OnVerdict is null && !logger.IsEnabled(LogLevel.Information))
            {
                return true;
            }

            report = policy.Explain(o.NextHop, o.MxHost, buffer, session, now);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not CertificatePolicyException)
        {
            LogInternalError(Logger(o), o.NextHop, ex.Message);
            return Fail(o, null, "internal error during validation (fail closed): " + ex.Message);
        }
        finally
        {
            buffer.Clear();
        }

        if (report.Certificate is { } certificateReport)
        {
            o.OnVerdict?.Invoke(certificateReport);
        }

        // The flag verdict decides and the report (same steps) explains it; should they ever differ, fail closed.
        if (verdict.IsCompliant && report.Verdict.IsCompliant)
        {
            LogCompliant(Logger(o), o.NextHop, report.Certificate?.MatchedName ?? "?", report.Verdict.Assurance.ToString(), report.Profile);
            return true;
        }

        var summary = Summarise(report);
        LogNotCompliant(Logger(o), o.NextHop, report.Profile, summary);
        if (session is { } s && report.Verdict.TlsFailures != TlsFloorFailures.None)
        {
            // The floor's own wording first ("TLSv1.2 with X (profile P): R-T2: ...; R-T5: ..."), then the rest.
            var weak = new NegotiatedTlsCheck(s.Protocol, s.CipherSuite, new TlsFloorVerdict(report.Verdict.TlsFailures));
            return Fail(o, report, DescribeFloor(weak, policy.Options.Floor) + "; " + summary, weak);
        }

        return Fail(o, report, summary);
    }

    [ThreadStatic]
    private static PresentedChain? t_chain;

    // The presented certificates of one handshake, leaf first, as a list the compiled policy reads without copying.
    private sealed class PresentedChain : IReadOnlyList<ReadOnlyMemory<byte>>
    {
        private ReadOnlyMemory<byte>[] _items = new ReadOnlyMemory<byte>[8];
        private int _count;

        public int Count => _count;

        public ReadOnlyMemory<byte> this[int index] => (uint)index < (uint)_count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

        internal void Fill(X509Certificate certificate, X509Chain? chain)
        {
            _count = 0;
            Add(certificate is X509Certificate2 c2 ? c2.RawDataMemory : certificate.GetRawCertData());
            if (chain is null)
            {
                return;
            }

            // SslStream puts the other certificates the server sent into the chain's ExtraStore (indexer: no enumerator).
            var extra = chain.ChainPolicy.ExtraStore;
            for (int i = 0; i < extra.Count; i++)
            {
                var der = extra[i].RawDataMemory;
                if (!der.Span.SequenceEqual(_items[0].Span))
                {
                    Add(der);
                }
            }
        }

        internal void Clear()
        {
            Array.Clear(_items, 0, _count);
            _count = 0;
        }

        private void Add(ReadOnlyMemory<byte> der)
        {
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, _items.Length * 2);
            }

            _items[_count++] = der;
        }

        public IEnumerator<ReadOnlyMemory<byte>> GetEnumerator()
        {
            for (int i = 0; i < _count; i++)
            {
                yield return _items[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static ILogger Logger(CertPolicyValidationOptions o) => o.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    private static bool Fail(CertPolicyValidationOptions o, ConnectionReport? report, string why, NegotiatedTlsCheck? negotiated = null)
    {
        if (o.ThrowOnFailure)
        {
            throw negotiated is { } n
                ? new CertificatePolicyException($"{o.NextHop}: negotiated TLS does not meet the policy: {why}", n, report?.Certificate) { Connection = report }
                : new CertificatePolicyException($"{o.NextHop}: server certificate does not meet the policy: {why}", report?.Certificate) { Connection = report };
        }

        return false;
    }

    // The failed findings of the report, one clause each with its rule.
    private static string Summarise(ConnectionReport report)
    {
        var parts = new List<string>(report.Findings.Count);
        foreach (var f in report.Findings)
        {
            if (f.Status is FindingStatus.Failed or FindingStatus.NotEvaluated)
            {
                parts.Add(f.Depth >= 0 ? $"{f.Rule} {f.Code} (depth {f.Depth}): {f.Message}" : $"{f.Rule} {f.Code}: {f.Message}");
            }
        }

        return string.Join("; ", parts);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "TLS peer for {NextHop} meets the policy: name {MatchedName}, assurance {Assurance}, profile {Profile}")]
    private static partial void LogCompliant(ILogger logger, string nextHop, string matchedName, string assurance, string profile);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "TLS peer for {NextHop} does not meet profile {Profile}: {Findings}")]
    private static partial void LogNotCompliant(ILogger logger, string nextHop, string profile, string findings);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "TLS peer for {NextHop} sent no certificate")]
    private static partial void LogNoCertificate(ILogger logger, string nextHop);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "certificate validation for {NextHop} failed internally (fail closed): {Error}")]
    private static partial void LogInternalError(ILogger logger, string nextHop, string error);
}

/// <summary>Thrown by a <see cref="CertPolicyValidation"/> callback with <see cref="CertPolicyValidationOptions.ThrowOnFailure"/> when a server does not meet the policy.</summary>
public sealed class CertificatePolicyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CertificatePolicyException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public CertificatePolicyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public CertificatePolicyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a message and the report.</summary>
    /// <param name="message">What is wrong (the findings, each with its rule).</param>
    /// <param name="report">The validation report, or null when validation did not produce one.</param>
    public CertificatePolicyException(string message, ValidationReport? report)
        : base(message) => Report = report;

    /// <summary>Creates the exception for negotiated parameters below the floor.</summary>
    /// <param name="message">What is wrong (each failed rule).</param>
    /// <param name="negotiated">The protocol, suite and floor verdict.</param>
    /// <param name="report">The certificate report, when the certificate was also validated; else null.</param>
    public CertificatePolicyException(string message, NegotiatedTlsCheck negotiated, ValidationReport? report = null)
        : base(message)
    {
        NegotiatedTls = negotiated;
        Report = report;
    }

    /// <summary>The report with every finding, or null (no certificate, internal error, a floor-only failure).</summary>
    public ValidationReport? Report { get; }

    /// <summary>The whole connection report (policy, TLS floor, chain, names) when the callback refused the server, or null.</summary>
    public ConnectionReport? Connection { get; init; }

    /// <summary>The negotiated protocol and suite when they failed the floor (R-T2..R-T5); else null.</summary>
    public NegotiatedTlsCheck? NegotiatedTls { get; }
}

namespace CertPolicy.Service;

/// <summary>The five reply kinds of socketmap_table(5), with what Postfix's client does with each.</summary>
internal enum SocketmapStatus
{
    /// <summary><c>OK data</c>: found; the table value is the data.</summary>
    Ok,

    /// <summary><c>NOTFOUND </c>: no entry (smtp(8) tries the next table, then the next parent key).</summary>
    NotFound,

    /// <summary><c>TEMP reason</c>: a temporary error (<c>DICT_ERR_RETRY</c>: smtp(8) defers the mail).</summary>
    Temp,

    /// <summary><c>TIMEOUT reason</c>: also <c>DICT_ERR_RETRY</c>.</summary>
    Timeout,

    /// <summary><c>PERM reason</c>: a configuration error (<c>DICT_ERR_CONFIG</c>).</summary>
    Perm,
}

/// <summary>One socketmap reply: a status and its text (the value for <see cref="SocketmapStatus.Ok"/>, else a reason).</summary>
internal readonly record struct SocketmapReply(SocketmapStatus Status, string Text)
{
    /// <summary>The <c>NOTFOUND </c> reply.</summary>
    internal static SocketmapReply NotFound => new(SocketmapStatus.NotFound, string.Empty);

    /// <summary>The payload as sent: <c>OK value</c>, <c>NOTFOUND </c>, <c>TEMP reason</c>, ...; the space after the
    /// status is always there (dict_sockmap.c splits the reply at the first space).</summary>
    internal string ToPayload() => Status switch
    {
        SocketmapStatus.Ok => "OK " + Text,
        SocketmapStatus.NotFound => "NOTFOUND ",
        SocketmapStatus.Temp => "TEMP " + Text,
        SocketmapStatus.Timeout => "TIMEOUT " + Text,
        _ => "PERM " + Text,
    };
}

/// <summary>Answers one socketmap request. Called concurrently from many connections: implementations are thread-safe.</summary>
internal interface ISocketmapHandler
{
    /// <summary>The reply for <c>NAME KEY</c>; never throws on data (the server turns an exception into <c>TEMP</c>).</summary>
    SocketmapReply Lookup(string mapName, string key);

    /// <summary>The reply for <c>NAME KEY</c> when answering may wait (a fetch with a time budget); the server calls
    /// this one. The default answers <see cref="Lookup"/> at once, without allocating.</summary>
    ValueTask<SocketmapReply> LookupAsync(string mapName, string key, CancellationToken cancellationToken) => ValueTask.FromResult(Lookup(mapName, key));
}

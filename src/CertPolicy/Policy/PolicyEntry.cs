namespace CertPolicy.Policy;

/// <summary>
/// One entry of a <c>tls_policy</c> table: the key, the value as Postfix sees it, where it was
/// written, and either the parsed <see cref="TlsPolicy"/> or the error that makes it invalid.
/// An invalid entry still answers look-ups (Postfix defers mail for it: fail closed).
/// </summary>
public sealed class PolicyEntry
{
    internal PolicyEntry(string key, string rawValue, int line, int column, TlsPolicy? policy, PolicyDiagnostic? error)
    {
        Key = key;
        RawValue = rawValue;
        Line = line;
        Column = column;
        Policy = policy;
        Error = error;
    }

    /// <summary>Position among the map's effective entries (set by <see cref="PolicyMap"/>; -1 when not effective).</summary>
    internal int Index { get; set; } = -1;

    /// <summary>The key, lower-cased (ASCII) as Postfix's <c>postmap</c> stores it.</summary>
    public string Key { get; }

    /// <summary>The value: the rest of the logical line with continuation lines joined, trimmed (what <c>postmap -q</c> prints).</summary>
    public string RawValue { get; }

    /// <summary>1-based line of the key.</summary>
    public int Line { get; }

    /// <summary>1-based column of the key.</summary>
    public int Column { get; }

    /// <summary>The parsed policy, or null when the entry is invalid.</summary>
    public TlsPolicy? Policy { get; }

    /// <summary>Why the entry is invalid, or null.</summary>
    public PolicyDiagnostic? Error { get; }

    /// <summary>True when the value parsed; false means Postfix defers mail for this destination.</summary>
    public bool IsValid => Policy is not null;

    /// <inheritdoc/>
    public override string ToString() => $"{Key} {RawValue}";
}

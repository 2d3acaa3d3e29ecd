namespace CertPolicy.Policy;

/// <summary>
/// One entry of a <c>tls_policy</c> table: the key, the value as Postfix sees it, where it was
/// written, and either the parsed <see cref="TlsPolicy"/> or the error that makes it invalid.
/// An invalid entry still answers look-ups (Postfix defers mail for it: fail closed).
/// </summary>
public sealed class PolicyEntry
{
    private readonly byte[] _value;
    private TlsPolicy? _policy;

    internal PolicyEntry(string key, byte[] rawValueUtf8, int line, int column, TlsPolicy? policy, PolicyDiagnostic? error)
    {
        Key = key;
        _value = rawValueUtf8;
        Line = line;
        Column = column;
        _policy = policy;
        Error = error;
    }

    // A valid entry whose policy is parsed from RawValue when first asked for (the value was validated by the parser):
    // a large table then holds its text, not a parsed object per entry, until a caller needs them (issue 14).
    internal PolicyEntry(string key, byte[] rawValueUtf8, int line, int column)
    {
        Key = key;
        _value = rawValueUtf8;
        Line = line;
        Column = column;
    }

    /// <summary>Position among the map's effective entries (set by <see cref="PolicyMap"/>; -1 when not effective).</summary>
    internal int Index { get; set; } = -1;

    /// <summary>The key, case-folded as Postfix's <c>postmap</c> stores it (ASCII lower case; other letters lower-cased too).</summary>
    public string Key { get; }

    /// <summary>The value: the rest of the logical line with continuation lines joined, trimmed (what <c>postmap -q</c> prints).</summary>
    /// <remarks>Kept as UTF-8 and decoded on each call (a large table's values are mostly ASCII: half the memory of a
    /// string, issue 14); the text is the same.</remarks>
    public string RawValue => _value.Length == 0 ? string.Empty : System.Text.Encoding.UTF8.GetString(_value);

    /// <summary>1-based line of the key.</summary>
    public int Line { get; }

    /// <summary>1-based column of the key.</summary>
    public int Column { get; }

    /// <summary>The parsed policy, or null when the entry is invalid.</summary>
    public TlsPolicy? Policy
    {
        get
        {
            if (_policy is not null || Error is not null)
            {
                return _policy;
            }

            // Validated at parse time, so this cannot fail; two threads may both parse: the first stored wins.
            _ = TlsPolicy.TryParse(RawValue, out var parsed, out _);
            return Interlocked.CompareExchange(ref _policy, parsed, null) ?? parsed;
        }
    }

    /// <summary>Why the entry is invalid, or null.</summary>
    public PolicyDiagnostic? Error { get; }

    /// <summary>The policy without keeping it: the stored one, or one parsed for this call only (the linter's walk over a
    /// large table keeps no policy per entry).</summary>
    internal TlsPolicy? PeekPolicy()
    {
        if (_policy is not null || Error is not null)
        {
            return _policy;
        }

        _ = TlsPolicy.TryParse(RawValue, out var parsed, out _);
        return parsed;
    }

    /// <summary>True when the value parsed; false means Postfix defers mail for this destination.</summary>
    public bool IsValid => Error is null;

    /// <inheritdoc/>
    public override string ToString() => $"{Key} {RawValue}";
}

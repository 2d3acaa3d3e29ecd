using System.Collections.Immutable;
using CertPolicy.Names;

namespace CertPolicy.Policy;

/// <summary>
/// Postfix 3.7 <c>tls_policy_lookup_one()</c> (src/smtp/smtp_tls_policy.c) as specified in
/// postfix-tls.md 1.5: error texts follow Postfix's warnings so an administrator recognises them.
/// Any error makes the whole entry invalid; it never degrades to a weaker level (fail closed).
/// </summary>
internal static class PolicyValueParser
{
    // Postfix CHARS_COMMA_SP: ", \t\r\n".
    internal static bool IsSeparator(char c) => c is ',' or ' ' or '\t' or '\r' or '\n';

    internal static bool TryParse(string value, out TlsPolicy? policy, out (string Code, string Message, int Offset) error)
    {
        policy = null;
        error = default;
        int pos = 0;
        if (!NextToken(value, ref pos, out int levelStart, out int levelEnd))
        {
            error = ("empty-policy", "invalid empty policy", 0);
            return false;
        }

        var levelText = value.AsSpan(levelStart, levelEnd - levelStart);
        if (!SecurityLevels.TryParse(levelText, out var level))
        {
            error = ("invalid-level", $"invalid security level \"{levelText}\"", levelStart);
            return false;
        }

        var match = ImmutableArray.CreateBuilder<string>();
        var tafiles = ImmutableArray.CreateBuilder<string>();
        var ignored = ImmutableArray.CreateBuilder<string>();
        string? ciphers = null, protocols = null, exclude = null, serverName = null;
        bool? reuse = null;

        while (NextToken(value, ref pos, out int start, out int end))
        {
            string token = value[start..end];
            if (level == SecurityLevel.None)
            {
                // Postfix: 'ignoring attribute "..." with TLS disabled' for every token, valid or not.
                ignored.Add(token);
                continue;
            }

            int eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                error = ("malformed-attribute", $"malformed attribute/value pair \"{token}\": missing '=' after attribute name", start);
                return false;
            }

            var name = token.AsSpan(0, eq);
            string val = token[(eq + 1)..];
            int valOffset = start + eq + 1;
            if (Ascii.EqualsIgnoreCase(name, "ciphers"))
            {
                if (val.Length == 0)
                {
                    error = ("empty-value", "attribute \"ciphers\" has empty value", start);
                    return false;
                }

                if (ciphers is not null)
                {
                    error = ("repeated-attribute", "attribute \"ciphers\" is specified multiple times", start);
                    return false;
                }

                ciphers = val;
            }
            else if (Ascii.EqualsIgnoreCase(name, "protocols"))
            {
                if (protocols is not null)
                {
                    error = ("repeated-attribute", "attribute \"protocols\" is specified multiple times", start);
                    return false;
                }

                protocols = val;
            }
            else if (Ascii.EqualsIgnoreCase(name, "exclude"))
            {
                if (exclude is not null)
                {
                    error = ("repeated-attribute", "attribute \"exclude\" is specified multiple times", start);
                    return false;
                }

                exclude = val;
            }
            else if (Ascii.EqualsIgnoreCase(name, "match"))
            {
                if (level is not (SecurityLevel.Fingerprint or SecurityLevel.Verify or SecurityLevel.Secure))
                {
                    error = ("attribute-not-allowed", $"attribute \"match\" invalid at security level \"{level.ToPostfixName()}\"", start);
                    return false;
                }

                if (val.Length == 0)
                {
                    error = ("empty-value", "attribute \"match\" has empty value", start);
                    return false;
                }

                // Postfix argv_split(): empty elements between separators vanish.
                char sep = level == SecurityLevel.Fingerprint ? '|' : ':';
                foreach (var part in val.Split(sep, StringSplitOptions.RemoveEmptyEntries))
                {
                    match.Add(part);
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "tafile"))
            {
                if (!level.IsPkix())
                {
                    error = ("attribute-not-allowed", $"attribute \"tafile\" invalid at security level \"{level.ToPostfixName()}\"", start);
                    return false;
                }

                if (val.Length == 0)
                {
                    error = ("empty-value", "attribute \"tafile\" has empty value", start);
                    return false;
                }

                tafiles.Add(val);
            }
            else if (Ascii.EqualsIgnoreCase(name, "servername"))
            {
                if (serverName is not null)
                {
                    error = ("repeated-attribute", "attribute \"servername\" is specified multiple times", start);
                    return false;
                }

                if (!(Ascii.EqualsIgnoreCase(val, "hostname") || Ascii.EqualsIgnoreCase(val, "nexthop")
                      || HostNameSyntax.IsValidPostfixHostName(val)))
                {
                    error = ("invalid-servername", $"\"servername={val}\" specifies an invalid hostname", valOffset);
                    return false;
                }

                serverName = val;
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection_reuse"))
            {
                // Last one wins (postfix-tls.md 1.5).
                if (Ascii.EqualsIgnoreCase(val, "yes"))
                {
                    reuse = true;
                }
                else if (Ascii.EqualsIgnoreCase(val, "no"))
                {
                    reuse = false;
                }
                else
                {
                    error = ("bad-value", $"attribute \"connection_reuse\" has bad value: \"{val}\"", valOffset);
                    return false;
                }
            }
            else
            {
                error = ("invalid-attribute", $"invalid attribute name: \"{name}\"", start);
                return false;
            }
        }

        policy = new TlsPolicy(level, match.ToImmutable(), ciphers, protocols, exclude, tafiles.ToImmutable(), serverName, reuse, ignored.ToImmutable());
        return true;
    }

    private static bool NextToken(string s, ref int pos, out int start, out int end)
    {
        while (pos < s.Length && IsSeparator(s[pos]))
        {
            pos++;
        }

        start = pos;
        while (pos < s.Length && !IsSeparator(s[pos]))
        {
            pos++;
        }

        end = pos;
        return end > start;
    }
}

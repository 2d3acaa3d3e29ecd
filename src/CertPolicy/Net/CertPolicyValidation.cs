using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Names;
using CertPolicy.Tls;
using CertPolicy.Validation;
using Microsoft.Extensions.Logging;

namespace CertPolicy.Net;

/// <summary>What <see cref="CertPolicyValidation.CreateCallback"/> checks a server against.</summary>
public sealed class CertPolicyValidationOptions
{
    /// <summary>The validation engine with its trust store (curated manifest or a <see cref="CustomTrust"/> store).</summary>
    public required ChainValidator Validator { get; init; }

    /// <summary>The next-hop domain the connection is for (names, R-C2).</summary>
    public required string NextHop { get; init; }

    /// <summary>The MX host name connected to (the <c>hostname</c> strategy), or null.</summary>
    public string? MxHost { get; init; }

    /// <summary>The match list; default Postfix's <c>secure</c> list (<c>nexthop:dot-nexthop</c>).</summary>
    public MatchList MatchList { get; init; } = MatchList.SecureDefault;

    /// <summary>The profile; default <see cref="ValidationProfile.Partner2026"/>.</summary>
    public ValidationProfile Profile { get; init; } = ValidationProfile.Partner2026;

    /// <summary>
    /// The floor for the negotiated protocol and cipher suite (R-T2..R-T5); default
    /// <see cref="TlsFloor.Partner2026"/>; null to leave them unchecked. The callback checks it when its
    /// sender is the <see cref="SslStream"/> (raw <c>SslStream</c> use: .NET has negotiated both by then).
    /// MailKit passes the host name as the sender, so MailKit users call
    /// <see cref="CertPolicyValidation.EnsureNegotiatedTls"/> after <c>Connect</c>.
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
        return (sender, certificate, chain, _) => Validate(options, sender, certificate, chain);
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

    private static bool Validate(CertPolicyValidationOptions o, object? sender, X509Certificate? certificate, X509Chain? chain)
    {
        ValidationReport? report = null;
        NegotiatedTlsCheck? negotiated = null;
        try
        {
            if (o.Floor is { } floor && sender is SslStream stream)
            {
                // Read inside the handshake: .NET has negotiated both when it asks for the certificate decision
                // (checked on Linux/OpenSSL in CallbackTests); an exception here fails closed below.
                negotiated = CheckNegotiatedTls(stream.SslProtocol, stream.NegotiatedCipherSuite, floor);
            }

            if (certificate is null)
            {
                LogNoCertificate(Logger(o), o.NextHop);
                return Fail(o, null, "the server sent no certificate");
            }

            var presented = new List<ReadOnlyMemory<byte>> { certificate.GetRawCertData() };
            if (chain is not null)
            {
                foreach (var extra in chain.ChainPolicy.ExtraStore)
                {
                    var der = extra.RawData;
                    if (!der.AsSpan().SequenceEqual(presented[0].Span))
                    {
                        presented.Add(der);
                    }
                }
            }

            var request = new ValidationRequest
            {
                Profile = o.Profile,
                Time = o.TimeProvider.GetUtcNow(),
                NextHop = o.NextHop,
                MxHost = o.MxHost,
                MatchList = o.MatchList,
            };
            report = o.Validator.Explain(presented, request);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not CertificatePolicyException)
        {
            LogInternalError(Logger(o), o.NextHop, ex.Message);
            return Fail(o, null, "internal error during validation (fail closed): " + ex.Message);
        }

        o.OnVerdict?.Invoke(report);
        if (negotiated is { IsAcceptable: false } weak)
        {
            string why = DescribeFloor(weak, o.Floor!) + (report.Verdict.IsCompliant ? string.Empty : "; " + Summarise(report));
            LogNotCompliant(Logger(o), o.NextHop, report.Profile, why);
            return Fail(o, report, why, weak);
        }

        if (report.Verdict.IsCompliant)
        {
            LogCompliant(Logger(o), o.NextHop, report.MatchedName ?? "?", report.Verdict.Assurance.ToString(), report.Profile);
            return true;
        }

        var summary = Summarise(report);
        LogNotCompliant(Logger(o), o.NextHop, report.Profile, summary);
        return Fail(o, report, summary);
    }

    private static ILogger Logger(CertPolicyValidationOptions o) => o.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    private static bool Fail(CertPolicyValidationOptions o, ValidationReport? report, string why, NegotiatedTlsCheck? negotiated = null)
    {
        if (o.ThrowOnFailure)
        {
            throw negotiated is { } n
                ? new CertificatePolicyException($"{o.NextHop}: negotiated TLS does not meet the policy: {why}", n, report)
                : new CertificatePolicyException($"{o.NextHop}: server certificate does not meet the policy: {why}", report);
        }

        return false;
    }

    private static string Summarise(ValidationReport report)
    {
        var parts = new List<string>(report.Findings.Count);
        foreach (var f in report.Findings)
        {
            parts.Add($"{f.Rule} {f.Code} (depth {f.Depth}): {f.Message}");
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

    /// <summary>The negotiated protocol and suite when they failed the floor (R-T2..R-T5); else null.</summary>
    public NegotiatedTlsCheck? NegotiatedTls { get; }
}

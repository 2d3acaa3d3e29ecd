using System.Net.Security;
using CertPolicy.Tls;

namespace CertPolicy.Net;

/// <summary>The negotiated parameters of an authenticated <see cref="SslStream"/> checked against a <see cref="TlsFloor"/>.</summary>
public readonly struct NegotiatedTlsCheck
{
    internal NegotiatedTlsCheck(TlsProtocol protocol, ushort suite, TlsFloorVerdict verdict)
    {
        Protocol = protocol;
        Suite = suite;
        Verdict = verdict;
    }

    /// <summary>The negotiated protocol (<see cref="TlsProtocol.Unknown"/> fails closed through <see cref="TlsFloorFailures.UnknownProtocol"/>).</summary>
    public TlsProtocol Protocol { get; }

    /// <summary>The negotiated suite's IANA code point.</summary>
    public ushort Suite { get; }

    /// <summary>The floor verdict (R-T2..R-T5).</summary>
    public TlsFloorVerdict Verdict { get; }

    /// <summary>True only when the floor accepts the pair; false for anything unknown (fail closed).</summary>
    public bool IsAcceptable => Verdict.IsAcceptable;
}

/// <summary>Post-handshake checks for <see cref="SslStream"/> (DESIGN.md, <c>Net/</c>).</summary>
public static class SslStreamFloorExtensions
{
    /// <summary>
    /// Checks the protocol and cipher suite an authenticated stream negotiated against a floor (R-T2..R-T5).
    /// Fails closed: an unknown protocol or suite is not acceptable. Does not look at certificates.
    /// </summary>
    /// <param name="stream">A stream whose handshake completed.</param>
    /// <param name="floor">The floor, e.g. <see cref="TlsFloor.Partner2026"/>.</param>
    /// <returns>The typed result; allocates nothing.</returns>
    /// <exception cref="ArgumentNullException">A null argument.</exception>
    /// <exception cref="InvalidOperationException">The handshake has not completed (a caller mistake).</exception>
    public static NegotiatedTlsCheck CheckNegotiatedTls(this SslStream stream, TlsFloor floor)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(floor);
        if (!stream.IsAuthenticated)
        {
            throw new InvalidOperationException("the TLS handshake has not completed: call CheckNegotiatedTls after AuthenticateAsClient/Server");
        }

        var protocol = TlsProtocols.FromSslProtocols(stream.SslProtocol);
        ushort suite = (ushort)stream.NegotiatedCipherSuite;
        return new NegotiatedTlsCheck(protocol, suite, TlsFloor.Check(protocol, suite, floor));
    }
}

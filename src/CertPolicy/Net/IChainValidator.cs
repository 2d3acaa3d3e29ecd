namespace CertPolicy.Net;

/// <summary>
/// The seam through which certificate-chain validation (R-C1..R-C8, postfix-tls.md 4.1) plugs into the
/// probe evaluation. <see cref="EngineChainValidator"/> implements it with the validation engine
/// (X509/, Validation/); a <see cref="ProbeEvaluator"/> called without one reports the chain as not
/// validated, which fails closed at <c>verify</c>/<c>secure</c>.
/// </summary>
public interface IChainValidator
{
    /// <summary>
    /// Validates the certificates a server presented. Must not throw on malformed or hostile
    /// certificates (return a non-compliant result instead); must not download anything.
    /// </summary>
    /// <param name="leafDer">The server (end-entity) certificate, DER.</param>
    /// <param name="intermediatesDer">The other certificates the server sent, DER, in the order sent.</param>
    /// <param name="validationTime">The time to validate at (the core has no clock).</param>
    /// <returns>Compliant or not, with findings (each naming its RULES.md id).</returns>
    ChainValidationResult Validate(ReadOnlyMemory<byte> leafDer, IReadOnlyList<ReadOnlyMemory<byte>> intermediatesDer, DateTimeOffset validationTime);
}

/// <summary>The result of <see cref="IChainValidator.Validate"/>.</summary>
/// <param name="IsCompliant">True when the chain meets the rules the validator enforces.</param>
/// <param name="Findings">Findings (passed and failed) to copy into the probe report.</param>
public sealed record ChainValidationResult(bool IsCompliant, IReadOnlyList<ProbeFinding> Findings);

using CertPolicy.Validation;

namespace CertPolicy.Net;

/// <summary>
/// The probe's <see cref="IChainValidator"/> backed by the validation engine (<see cref="ChainValidator"/>):
/// path building to the trust store's anchors, RFC 5280 checks, assurance and the profile's rules
/// (R-C1, R-C3..R-C8, R-C10). The probe checks names itself with the destination's match list
/// (R-C2), so the engine's own name check is left out of this result rather than reported twice.
/// </summary>
public sealed class EngineChainValidator : IChainValidator
{
    private readonly ChainValidator _validator;
    private readonly ValidationProfile _profile;

    /// <summary>Creates the adapter.</summary>
    /// <param name="validator">The engine, over the curated store or a custom one.</param>
    /// <param name="profile">The validation profile (partner-2026, document-2019, postfix-secure).</param>
    /// <exception cref="ArgumentNullException">A null argument.</exception>
    public EngineChainValidator(ChainValidator validator, ValidationProfile profile)
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(profile);
        _validator = validator;
        _profile = profile;
    }

    /// <inheritdoc/>
    public ChainValidationResult Validate(ReadOnlyMemory<byte> leafDer, IReadOnlyList<ReadOnlyMemory<byte>> intermediatesDer, DateTimeOffset validationTime)
    {
        ArgumentNullException.ThrowIfNull(intermediatesDer);
        var chain = new List<ReadOnlyMemory<byte>>(intermediatesDer.Count + 1) { leafDer };
        chain.AddRange(intermediatesDer);

        // Names are the probe's own finding (R-C2): the engine validates the chain alone.
        var report = _validator.ExplainChain(chain, _profile, validationTime);
        var reasons = report.Verdict.Reasons;
        var findings = new List<ProbeFinding>();
        foreach (var f in report.Findings)
        {
            findings.Add(new ProbeFinding(f.Code, f.Rule, FindingStatus.Failed, $"depth {f.Depth}: {f.Message}"));
        }

        if (reasons == VerdictReasons.None)
        {
            var anchor = report.Chain.Count > 0 ? report.Chain[^1].Subject : "?";
            findings.Add(new ProbeFinding("chain", "R-C3", FindingStatus.Passed,
                $"chain validated to {anchor} (profile {_profile.Name}, assurance {report.Verdict.Assurance})"));
        }

        return new ChainValidationResult(reasons == VerdictReasons.None, findings);
    }
}

using CertPolicy.Names;
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

        // The engine always checks a name; "." yields no usable reference, and the resulting
        // NameMismatch is dropped below: names are the probe's own finding (R-C2).
        var request = new ValidationRequest { Profile = _profile, Time = validationTime, NextHop = "invalid", MatchList = NoNames };
        var report = _validator.Explain(chain, request);
        var reasons = report.Verdict.Reasons & ~VerdictReasons.NameMismatch;
        var findings = new List<ProbeFinding>();
        foreach (var f in report.Findings)
        {
            if (f.Reason != VerdictReasons.NameMismatch)
            {
                findings.Add(new ProbeFinding(f.Code, f.Rule, FindingStatus.Failed, $"depth {f.Depth}: {f.Message}"));
            }
        }

        if (reasons == VerdictReasons.None)
        {
            var anchor = report.Chain.Count > 0 ? report.Chain[^1].Subject : "?";
            findings.Add(new ProbeFinding("chain", "R-C3", FindingStatus.Passed,
                $"chain validated to {anchor} (profile {_profile.Name}, assurance {report.Verdict.Assurance})"));
        }

        return new ChainValidationResult(reasons == VerdictReasons.None, findings);
    }

    private static readonly MatchList NoNames = MatchList.TryParse(".", out var list, out _) ? list! : throw new InvalidOperationException("'.' must parse");
}

using CertPolicy.Validation;

namespace CertPolicy.Net;

/// <summary>
/// One finding of a probe report: a stable <see cref="Code"/> (API: never renamed), the RULES.md id it
/// concerns, its status and a human-readable message.
/// </summary>
/// <param name="Code">Stable machine-readable code, e.g. <c>tls-not-offered</c>.</param>
/// <param name="RuleId">The rule from RULES.md, e.g. <c>R-T6</c>.</param>
/// <param name="Status">Passed, failed, information or not evaluated.</param>
/// <param name="Message">Human-readable explanation (Postfix wording where Postfix has one).</param>
internal sealed record ProbeFinding(string Code, string RuleId, FindingStatus Status, string Message);

/// <summary>The overall verdict of a probe report.</summary>
internal enum ProbeVerdict : byte
{
    /// <summary>Every evaluated requirement holds.</summary>
    Compliant = 0,

    /// <summary>At least one requirement does not hold (fail closed: also for internal errors and unvalidated chains).</summary>
    NotCompliant = 1,

    /// <summary>The gateway could not be reached or did not answer in time; retrying may help.</summary>
    CouldNotEvaluate = 2,
}

namespace CertPolicy.Net;

/// <summary>Whether a finding is a passed check, a failed one, or only information.</summary>
public enum FindingStatus : byte
{
    /// <summary>The check ran and the requirement holds.</summary>
    Passed = 0,

    /// <summary>The check ran and the requirement does not hold: the verdict is not compliant.</summary>
    Failed = 1,

    /// <summary>Information only (a check not required at this level, a gap written down); does not change the verdict.</summary>
    Info = 2,

    /// <summary>The check could not be carried out (connection refused, timeout, DNS): the verdict is "could not evaluate".</summary>
    NotEvaluated = 3,
}

/// <summary>
/// One finding of a probe report: a stable <see cref="Code"/> (API: never renamed), the RULES.md id it
/// concerns, its status and a human-readable message.
/// </summary>
/// <param name="Code">Stable machine-readable code, e.g. <c>tls-not-offered</c>.</param>
/// <param name="RuleId">The rule from RULES.md, e.g. <c>R-T6</c>.</param>
/// <param name="Status">Passed, failed, information or not evaluated.</param>
/// <param name="Message">Human-readable explanation (Postfix wording where Postfix has one).</param>
public sealed record ProbeFinding(string Code, string RuleId, FindingStatus Status, string Message);

/// <summary>The overall verdict of a probe report.</summary>
public enum ProbeVerdict : byte
{
    /// <summary>Every evaluated requirement holds.</summary>
    Compliant = 0,

    /// <summary>At least one requirement does not hold (fail closed: also for internal errors and unvalidated chains).</summary>
    NotCompliant = 1,

    /// <summary>The gateway could not be reached or did not answer in time; retrying may help.</summary>
    CouldNotEvaluate = 2,
}

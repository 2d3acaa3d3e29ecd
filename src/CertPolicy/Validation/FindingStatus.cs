namespace CertPolicy.Validation;

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

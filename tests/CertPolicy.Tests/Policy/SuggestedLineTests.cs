using CertPolicy.Policy;
using FsCheck;
using FsCheck.Fluent;

namespace CertPolicy.Tests.Policy;

/// <summary>Issue 13: every line the linter suggests for a missing partner passes the linter itself.</summary>
public sealed class SuggestedLineTests
{
    [Fact]
    public void Property_the_suggested_line_for_a_missing_partner_passes_policy_check()
    {
        var label = from n in Gen.Choose(1, 12)
                    from chars in Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyz0123456789".ToCharArray()), n)
                    select new string(chars);
        var domain = from labels in Gen.ArrayOf(label, 2).SelectMany(a => Gen.Choose(0, 2).Select(extra => (a, extra)))
                     from more in Gen.ArrayOf(label, labels.extra)
                     select string.Join('.', more.Concat(labels.a));
        var config = Config.QuickThrowOnFailure.WithMaxTest(200).WithReplay(20261204UL, 13UL);
        Prop.ForAll(domain.ToArbitrary(), partner =>
        {
            var empty = PolicyMap.Parse("unrelated.example may\n").Map;
            var missing = Assert.Single(PolicyLinter.Lint(empty, [partner]), d => d.Code == "partner-missing");
            int open = missing.Message.IndexOf("add \"", StringComparison.Ordinal) + 5;
            string line = missing.Message[open..missing.Message.IndexOf('"', open)];
            var fixedTable = PolicyMap.Parse("unrelated.example may\n" + line + "\n");
            Assert.False(fixedTable.HasErrors, line);
            var after = PolicyLinter.Lint(fixedTable.Map, [partner]);
            Assert.True(after.Count == 0, line + ": " + string.Join("; ", after));
        }).Check(config);
    }
}

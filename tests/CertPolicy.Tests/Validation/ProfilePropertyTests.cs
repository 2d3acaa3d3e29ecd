using System.Security.Cryptography;
using CertPolicy.Validation;
using FsCheck;
using FsCheck.Fluent;

namespace CertPolicy.Tests.Validation;

/// <summary>A stricter profile never accepts what a laxer one refuses (postfix-secure ≤ partner-2026 ≤ document-2019).</summary>
public sealed class ProfilePropertyTests
{
    private static readonly Config Fixed = Config.QuickThrowOnFailure.WithMaxTest(120).WithReplay(20261128UL, 23UL);

    [Fact]
    public void Stricter_profiles_accept_a_subset()
    {
        var gen = from policies in Gen.Elements<string[]>([TestOids.Ov], [TestOids.Dv], [TestOids.Iv], [TestOids.CustomEvA], [TestOids.Ev], [], [TestOids.CustomEvA, TestOids.Ov])
                  from intPolicies in Gen.Elements<string[]?>([TestOids.AnyPolicy], [TestOids.CustomEvA], null, [TestOids.Ov])
                  from withOrg in Gen.Elements(true, false)
                  from key in Gen.Elements("ec256", "rsa1024", "ec384")
                  from sha1 in Gen.Elements(false, false, true)
                  from expired in Gen.Elements(false, false, false, true)
                  from nextHop in Gen.Elements("example.com", "example.com", "example.org")
                  from distrust in Gen.Elements(0, 0, 1, 2)
                  from annex in Gen.Elements(true, false)
                  select (policies, intPolicies, withOrg, key, sha1, expired, nextHop, distrust, annex);
        int accepted = 0;
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var spec = new ChainSpec
            {
                LeafPolicies = t.policies,
                IntermediatePolicies = t.intPolicies,
                LeafName = t.withOrg ? "CN=mail.example.com,O=Example GmbH,C=DE" : "CN=mail.example.com",
                LeafKey = t.key,
                LeafHash = t.sha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256,
                LeafNotAfter = t.expired ? new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero) : new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero),
            };
            var chain = TestChains.Create(spec);
            DateTimeOffset? cutoff = t.distrust switch { 1 => new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero), 2 => new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero), _ => null };
            var store = TestChains.Store(chain.Root, [TestOids.CustomEvA], cutoff, t.annex ? "GlobalSign" : null);
            var validator = new ChainValidator(store);
            bool previous = true;
            foreach (var profile in ValidationProfile.All)
            {
                bool ok = validator.Evaluate(chain.Presented, TestChains.Request(profile, t.nextHop)).IsCompliant;
                Assert.False(ok && !previous, profile.Name + " accepts what a laxer profile refuses");
                previous = ok;
            }

            accepted += previous ? 1 : 0;
        }).Check(Fixed);

        // Not vacuous: the strictest profile accepts some generated chains.
        Assert.InRange(accepted, 1, 119);
    }
}

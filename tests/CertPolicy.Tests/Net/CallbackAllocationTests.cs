using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Evaluation;
using CertPolicy.Net;
using CertPolicy.Policy;
using CertPolicy.Tests.Validation;
using CertPolicy.Validation;

namespace CertPolicy.Tests.Net;

/// <summary>
/// The callback is built on a <see cref="CompiledPolicy"/>: on a cache hit a handshake allocates nothing and the
/// report is built only when something needs it (a failure, a logger at Information, OnVerdict).
/// </summary>
public sealed class CallbackAllocationTests
{
    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public void A_compliant_handshake_on_a_cache_hit_allocates_nothing()
    {
        var chain = TestChains.Create(new ChainSpec());
        var validator = new ChainValidator(TestChains.Store(chain));
        var callback = CertPolicyValidation.CreateCallback(new CertPolicyValidationOptions
        {
            Validator = validator,
            NextHop = "example.com",
            MxHost = "mail.example.com",
            TimeProvider = new FixedTime(TestChains.At),
        });
        using var leaf = X509CertificateLoader.LoadCertificate(chain.Leaf);
        using var intermediate = X509CertificateLoader.LoadCertificate(chain.Intermediate);
        using var x = new X509Chain();
        x.ChainPolicy.ExtraStore.Add(intermediate);

        Assert.True(callback("mail.example.com", leaf, x, SslPolicyErrors.None)); // cold: fills the cache

        // Rounds of 10 000 handshakes: a per-handshake allocation shows in every round (at least 10 000 bytes); tiered
        // compilation's one-time bookkeeping (a few bytes while methods are promoted) shows in early rounds only. So
        // some round must allocate exactly nothing.
        var rounds = new List<long>();
        for (int round = 0; round < 20 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            int ok = 0;
            for (int i = 0; i < 10_000; i++)
            {
                ok += callback("mail.example.com", leaf, x, SslPolicyErrors.None) ? 1 : 0;
            }

            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(10_000, ok);
        }

        Assert.True(rounds[^1] == 0, "bytes allocated per round of 10 000: " + string.Join(", ", rounds));
        Assert.All(rounds, r => Assert.True(r < 10_000, "a round allocated " + r + " bytes: that is a per-handshake allocation"));
    }

    [Fact]
    public void The_callback_uses_the_compiled_policy_entry_for_the_next_hop()
    {
        // The entry's match list (.other.test) is not the default one: the same chain is refused for a next hop whose
        // entry wants other names, and accepted where the entry names its domain.
        var chain = TestChains.Create(new ChainSpec());
        var validator = new ChainValidator(TestChains.Store(chain));
        var map = PolicyMap.Parse("example.com secure match=.other.test\nexample.net secure match=.example.com\n").Map;
        var policy = new CompiledPolicy([map], validator);
        using var leaf = X509CertificateLoader.LoadCertificate(chain.Leaf);
        using var intermediate = X509CertificateLoader.LoadCertificate(chain.Intermediate);
        using var x = new X509Chain();
        x.ChainPolicy.ExtraStore.Add(intermediate);

        ValidationReport? seen = null;
        var refused = CertPolicyValidation.CreateCallback(new CertPolicyValidationOptions { Policy = policy, NextHop = "example.com", TimeProvider = new FixedTime(TestChains.At), ThrowOnFailure = true });
        var ex = Assert.Throws<CertificatePolicyException>(() => refused("mail.example.com", leaf, x, SslPolicyErrors.None));
        Assert.Contains(ex.Connection!.Findings, f => f.Code == "name.mismatch" && f.Status == FindingStatus.Failed);
        Assert.Equal(ConnectionFailures.NameMismatch, ex.Connection.Verdict.Failures);

        var accepted = CertPolicyValidation.CreateCallback(new CertPolicyValidationOptions { Policy = policy, NextHop = "example.net", TimeProvider = new FixedTime(TestChains.At), OnVerdict = r => seen = r });
        Assert.True(accepted("mail.example.com", leaf, x, SslPolicyErrors.None));
        Assert.Equal("mail.example.com", seen?.MatchedName);
    }
}

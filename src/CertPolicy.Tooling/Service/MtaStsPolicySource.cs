using System.Globalization;
using CertPolicy.MtaSts;

namespace CertPolicy.Service;

/// <summary>Limits and timings of a <see cref="MtaStsPolicySource"/>.</summary>
internal sealed class MtaStsSourceOptions
{
    /// <summary>Default <see cref="LookupBudget"/>: 2 s.</summary>
    internal static readonly TimeSpan DefaultLookupBudget = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long one look-up waits for a fetch that is not done. Past it the look-up is answered from the table alone
    /// and the fetch goes on; its policy serves the next look-ups. Postfix waits up to 100 s for a socketmap reply
    /// (<c>DICT_SOCKMAP_DEF_TIMEOUT</c>, dict_sockmap.c) with the smtp(8) process blocked meanwhile, and a read timeout
    /// is a table error that defers the mail (<c>DICT_ERR_RETRY</c>): a short budget keeps delivery agents free.
    /// </summary>
    internal TimeSpan LookupBudget { get; init; } = DefaultLookupBudget;

    /// <summary>
    /// The longest a fetched policy is used, whatever its <c>max_age</c> (default one day). RFC 8461 3.2 allows a
    /// <c>max_age</c> of a year; a long-running service re-fetches a domain's policy at least this often, and keeps the
    /// old one while the re-fetch fails (RFC 8461 3.3), until its own <c>max_age</c> ends.
    /// </summary>
    internal TimeSpan MaxAgeCap { get; init; } = TimeSpan.FromDays(1);

    /// <summary>How often the <c>_mta-sts</c> TXT id of a cached policy is checked (on use; default 1 hour): a new id
    /// means a new policy (RFC 8461 3.1), fetched in the background while the cached one is served.</summary>
    internal TimeSpan RecheckInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long a failed fetch or a domain without a usable <c>_mta-sts</c> record is not asked again (default
    /// 5 minutes; RFC 8461 3.3 suggests at least five minutes between failed fetches).</summary>
    internal TimeSpan RetryAfterFailure { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The most domains cached (default 10,000). When full, an entry without a usable policy, else the least
    /// recently used one, is dropped (one scan of the cache per new domain while it is full).</summary>
    internal int MaxEntries { get; init; } = 10_000;
}

/// <summary>What <see cref="MtaStsPolicySource.GetAsync"/> found for a domain.</summary>
/// <param name="Policy">The policy in force, or null.</param>
/// <param name="Why">Where it came from or why there is none: <c>fetched</c>, <c>cached</c>, <c>pending</c> (the fetch
/// is not done within the budget), <c>no-policy</c> (a recent failure or no record, see <see cref="MtaStsPolicySource.LastFailure"/>),
/// <c>not-a-domain</c>.</param>
internal readonly record struct MtaStsLookup(MtaStsPolicy? Policy, string Why);

/// <summary>
/// The MTA-STS policies of the domains the policy service is asked about (RFC 8461 3.3, 5.1): discovered through the
/// <c>_mta-sts</c> TXT record, fetched over HTTPS, cached until <c>max_age</c> (capped), re-fetched when the TXT id
/// changes, the cached policy kept while a re-fetch fails, a bounded number of domains, one fetch in flight per domain,
/// and no look-up waits longer than <see cref="MtaStsSourceOptions.LookupBudget"/>. Thread-safe.
/// </summary>
/// <remarks>
/// <para>Fail open toward the table, never toward less than it: without a policy (not fetched yet, fetch failed, none
/// published) the service answers from the table alone, which is what RFC 8461 3.3 asks of a sender that has no
/// policy ("continue with delivery as though the domain has not implemented MTA-STS"). The alternative, TEMP, would
/// defer the first message to every new domain by Postfix's retry time (<c>minimal_backoff_time</c>, 300 s by
/// default), also for the many domains that publish nothing.</para>
/// <para>One line per fetch goes to the log (its outcome), none per look-up.</para>
/// </remarks>
internal sealed class MtaStsPolicySource
{
    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly object gate = new();
    private readonly MtaStsSourceOptions options;
    private readonly Func<string, CancellationToken, Task<MtaStsFetchResult>> fetch;
    private readonly Func<string, CancellationToken, Task<IReadOnlyList<string>>>? txtLookup;
    private readonly TimeProvider time;
    private readonly Action<string>? log;
    private long fetches;

    /// <param name="options">Limits and timings; defaults when null.</param>
    /// <param name="fetch">Fetches a domain's policy (TXT record and HTTPS), e.g. <see cref="MtaStsFetcher.FetchAsync"/>.</param>
    /// <param name="txtLookup">Looks up TXT records (for the id check of a cached policy); null: a cached policy is
    /// re-fetched only when it expires.</param>
    /// <param name="time">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="log">One line per fetch; may be called concurrently.</param>
    internal MtaStsPolicySource(
        MtaStsSourceOptions? options,
        Func<string, CancellationToken, Task<MtaStsFetchResult>> fetch,
        Func<string, CancellationToken, Task<IReadOnlyList<string>>>? txtLookup = null,
        TimeProvider? time = null,
        Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        this.options = options ?? new MtaStsSourceOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(this.options.MaxEntries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(this.options.LookupBudget, TimeSpan.Zero);
        this.fetch = fetch;
        this.txtLookup = txtLookup;
        this.time = time ?? TimeProvider.System;
        this.log = log;
    }

    /// <summary>
    /// The TXT look-up of the MTA-STS fetcher and of the id check over a <see cref="Dns.DomainResolver"/>, so that
    /// <c>--dns ADDR:PORT</c> applies to both: the records when there are some, none for NXDOMAIN or NODATA (the fetch
    /// then fails as <c>dns-no-record</c>), an exception with the resolver's reason when the look-up failed (the fetcher
    /// reports it as <c>dns-no-record</c> with that reason; a cached policy stays in force).
    /// </summary>
    internal static Func<string, CancellationToken, Task<IReadOnlyList<string>>> TxtLookupOver(Dns.DomainResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        return async (name, ct) =>
        {
            var answer = await resolver.LookupTxtAsync(name, ct).ConfigureAwait(false);
            return answer.Outcome switch
            {
                Dns.DnsOutcome.Answer => answer.Records,
                Dns.DnsOutcome.NoData or Dns.DnsOutcome.NxDomain => [],
                _ => throw new IOException(answer.Why ?? "the look-up failed"),
            };
        };
    }

    /// <summary>The options in use.</summary>
    internal MtaStsSourceOptions Options => options;

    /// <summary>Policy fetches started so far (TXT id checks not counted).</summary>
    internal long Fetches => Interlocked.Read(ref fetches);

    /// <summary>Domains cached now.</summary>
    internal int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>True when MTA-STS applies to a socketmap key: a host name (the recipient domain as smtp(8) sends it
    /// for MX routing), not a <c>.parent</c> key, not <c>[host]</c>, <c>host:port</c> or an IP address.</summary>
    internal static bool AppliesTo(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Length > 0 && key[0] != '.' && !System.Net.IPAddress.TryParse(key, out _)
            && MxPattern.IsValid(key, out _, out _) && key.Contains('.', StringComparison.Ordinal);
    }

    /// <summary>True while a fetch or id check of the domain is in flight.</summary>
    internal bool IsFetching(string domain)
    {
        lock (gate)
        {
            return entries.TryGetValue(Key(domain), out var e) && e.InFlight is not null;
        }
    }

    /// <summary>The last failure seen for a domain (a fetch result other than ok), for reports; null when none.</summary>
    internal MtaStsFetchResult? LastFailure(string domain)
    {
        lock (gate)
        {
            return entries.TryGetValue(Key(domain), out var e) ? e.Failure : null;
        }
    }

    /// <summary>
    /// The policy in force for <paramref name="domain"/>: a cached unexpired one at once (its TXT id re-checked in the
    /// background when due), else the result of the fetch in flight or a new one, waited for at most the budget.
    /// Never throws but for <paramref name="cancellationToken"/>.
    /// </summary>
    internal async ValueTask<MtaStsLookup> GetAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if (!AppliesTo(domain))
        {
            return new(null, "not-a-domain");
        }

        string key = Key(domain);
        Task<MtaStsPolicy?> pending;
        lock (gate)
        {
            var now = time.GetUtcNow();
            var e = GetOrAdd(key, now);
            e.LastUsed = now;
            if (e.Policy is { } cached && now < e.ExpiresAt)
            {
                // RFC 8461 3.3: a valid cached policy applies; a changed TXT id means a new policy, fetched meanwhile.
                if (e.InFlight is null && now - e.CheckedAt >= options.RecheckInterval && !RecentlyFailed(e, now))
                {
                    e.InFlight = StartRefresh(e, recheck: txtLookup is not null && e.Id is not null);
                }

                return new(cached, "cached");
            }

            if (e.InFlight is null)
            {
                if (RecentlyFailed(e, now))
                {
                    return new(null, "no-policy");
                }

                e.InFlight = StartRefresh(e, recheck: false);
            }

            pending = e.InFlight;
        }

        if (!pending.IsCompleted && options.LookupBudget > TimeSpan.Zero)
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            budget.CancelAfter(options.LookupBudget);
            var delay = Task.Delay(Timeout.InfiniteTimeSpan, budget.Token);
            await Task.WhenAny(pending, delay).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            await budget.CancelAsync().ConfigureAwait(false);
        }

        if (!pending.IsCompleted)
        {
            return new(null, "pending");
        }

        // The fetch's own policy: a max_age of 0 is used for this look-up though it is not kept.
        var policy = await pending.ConfigureAwait(false);
        return policy is null ? new(null, "no-policy") : new(policy, "fetched");
    }

    private static string Key(string domain) => (domain.EndsWith('.') ? domain[..^1] : domain).ToLowerInvariant();

    private bool RecentlyFailed(Entry e, DateTimeOffset now) => e.FailedAt is { } failed && now - failed < options.RetryAfterFailure;

    // Under the gate. A new entry; when the cache is full, drop one without a usable policy, else the least recently used
    // (never one with a fetch in flight: its task still writes to it, harmlessly, but a look-up may be waiting on it).
    private Entry GetOrAdd(string key, DateTimeOffset now)
    {
        if (entries.TryGetValue(key, out var e))
        {
            return e;
        }

        if (entries.Count >= options.MaxEntries)
        {
            Entry? victim = null;
            foreach (var candidate in entries.Values)
            {
                if (candidate.InFlight is not null)
                {
                    continue;
                }

                bool useless = candidate.Policy is null || now >= candidate.ExpiresAt;
                bool victimUseless = victim is not null && (victim.Policy is null || now >= victim.ExpiresAt);
                if (victim is null || (useless && !victimUseless) || (useless == victimUseless && candidate.LastUsed < victim.LastUsed))
                {
                    victim = candidate;
                }
            }

            if (victim is not null)
            {
                entries.Remove(victim.Domain);
            }
        }

        e = new Entry(key);
        entries[key] = e;
        return e;
    }

    // Under the gate: the task is stored before it can finish (its end takes the gate to clear InFlight).
    private Task<MtaStsPolicy?> StartRefresh(Entry e, bool recheck) => Task.Run(() => RefreshAsync(e, recheck));

    private async Task<MtaStsPolicy?> RefreshAsync(Entry e, bool recheck)
    {
        try
        {
            if (recheck && await IdUnchangedAsync(e).ConfigureAwait(false))
            {
                return CurrentPolicy(e, time.GetUtcNow());
            }

            Interlocked.Increment(ref fetches);
            MtaStsFetchResult result;
            try
            {
                result = await fetch(e.Domain, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The fetcher returns failures as results; anything else (a bug, an argument it refused) is a failure too.
                result = new MtaStsFetchResult(MtaStsFetchStatus.Network, null, null, 0, "the fetch failed unexpectedly");
            }

            var now = time.GetUtcNow();
            string line;
            lock (gate)
            {
                if (result.IsOk && result.Policy is { } fetched)
                {
                    var age = TimeSpan.FromSeconds(fetched.MaxAge);
                    e.Policy = fetched;
                    e.Id = result.Record?.Id;
                    e.ExpiresAt = now + (age < options.MaxAgeCap ? age : options.MaxAgeCap);
                    e.CheckedAt = now;
                    e.FailedAt = null;
                    e.Failure = null;
                    line = "MTA-STS " + e.Domain + ": fetched, " + result.Message + (e.Id is null ? string.Empty : ", id " + e.Id) + " (R-D2)";
                }
                else
                {
                    e.FailedAt = now;
                    e.Failure = result;
                    bool keep = e.Policy is not null && now < e.ExpiresAt;
                    line = "MTA-STS " + e.Domain + ": " + result.Code + ": " + result.Message + "; "
                        + (keep ? "the cached policy (mode " + MtaStsPolicy.ModeName(e.Policy!.Mode) + ") stays in force until " + e.ExpiresAt.ToString("u", CultureInfo.InvariantCulture) + " (RFC 8461 3.3)"
                        : "answered from the table alone (RFC 8461 3.3)")
                        + "; next attempt after " + options.RetryAfterFailure.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s";
                }
            }

            log?.Invoke(line);
            return result.IsOk ? result.Policy : CurrentPolicy(e, now);
        }
        finally
        {
            lock (gate)
            {
                e.InFlight = null;
            }
        }
    }

    // RFC 8461 3.1: the id names the policy version; an unchanged id keeps the cached policy. A failed or empty TXT
    // look-up also keeps it (RFC 8461 3.3: with no live policy discoverable, a valid cached one applies).
    private async Task<bool> IdUnchangedAsync(Entry e)
    {
        IReadOnlyList<string> txts;
        try
        {
            txts = await txtLookup!("_mta-sts." + e.Domain, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            txts = [];
        }

        var now = time.GetUtcNow();
        lock (gate)
        {
            if (!MtaStsRecord.TrySelect(txts, out var record, out _) || string.Equals(record!.Id, e.Id, StringComparison.Ordinal))
            {
                e.CheckedAt = now;
                return true;
            }
        }

        return false;
    }

    private MtaStsPolicy? CurrentPolicy(Entry e, DateTimeOffset now)
    {
        lock (gate)
        {
            return e.Policy is { } p && now < e.ExpiresAt ? p : null;
        }
    }

    // One domain's state; every field is read and written under the gate.
    private sealed class Entry(string domain)
    {
        internal string Domain { get; } = domain;

        internal MtaStsPolicy? Policy { get; set; }

        internal string? Id { get; set; }

        internal DateTimeOffset ExpiresAt { get; set; }

        internal DateTimeOffset CheckedAt { get; set; }

        internal DateTimeOffset? FailedAt { get; set; }

        internal MtaStsFetchResult? Failure { get; set; }

        internal DateTimeOffset LastUsed { get; set; }

        internal Task<MtaStsPolicy?>? InFlight { get; set; }
    }
}

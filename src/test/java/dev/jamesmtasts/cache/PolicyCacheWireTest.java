package dev.jamesmtasts.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.codahale.metrics.MetricRegistry;

import dev.jamesmtasts.cache.CacheResult.Outcome;
import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.testing.TestDnsServer.Fault;
import dev.jamesmtasts.testing.TestHttpsServer.Response;

/**
 * Checklist §5 (cache semantics, RFC 8461 §3.1 note, §3.3, §5.1, §10.2) end to end: the
 * {@link PolicyCache} over the real Cassandra node, with the real {@link MtaStsResolver} sending DNS
 * messages to the {@code TestDnsServer} and HTTPS requests to the {@code TestHttpsServer} (certificates
 * from a test CA, trusted by the resolver). Every assertion on "what the cache did" is made on the
 * servers' own counters: TXT queries for {@code _mta-sts.<domain>}, A/AAAA queries for
 * {@code mta-sts.<domain>}, and HTTPS request heads received for {@code mta-sts.<domain>}.
 *
 * <p>Time is a hand-moved clock; each test uses a domain of its own (the servers' counters are per
 * name) and starts from empty tables in the class's keyspace.
 */
class PolicyCacheWireTest extends WireTestSupport {
    // ------------------------------------------------------------------ first get, near cache, id checks

    @Test
    void firstGetQueriesOnceFetchesOnceThenNothingUntilTheIdCheckWhichIsOneTxtQuery() {
        String text = enforceText(domain, 86_400);
        bed.publish(domain, "id1", text);
        Instant t0 = clock.instant();

        CacheResult first = cache.get(domain);

        assertThat(first.outcome()).isEqualTo(Outcome.OK);
        assertThat(first.policy()).isEqualTo(parse(text));
        assertThat(first.recordId()).isEqualTo("id1");
        assertThat(first.fresh()).isTrue();
        assertThat(txt(domain)).isEqualTo(1);
        assertThat(a(domain)).isEqualTo(1);
        assertThat(aaaa(domain)).isLessThanOrEqualTo(1);
        assertThat(gets(domain)).isEqualTo(1);
        StoredPolicy row = row();
        assertThat(row.recordId()).isEqualTo("id1");
        assertThat(row.policy()).isEqualTo(parse(text));
        assertThat(row.policy().text()).isEqualTo(text);
        assertThat(row.lastUpdate()).isEqualTo(t0);
        assertThat(row.validUntil()).isEqualTo(t0.plusSeconds(86_400));
        assertThat(row.backoff()).isFalse();
        Wire afterFirst = wire(domain);

        // within idCheckInterval: answered from memory, not one packet to either server
        clock.advance(settings.idCheckInterval().minusSeconds(1));
        for (int i = 0; i < 50; i++) {
            assertThat(cache.get(domain).policy()).isEqualTo(parse(text));
        }
        assertThat(wire(domain)).isEqualTo(afterFirst);

        // after idCheckInterval: one TXT query, the id is unchanged, so no address lookup and no GET
        clock.advance(Duration.ofSeconds(2));
        CacheResult stale = cache.get(domain);
        assertThat(stale.policy()).isEqualTo(parse(text));
        assertThat(stale.fresh()).isFalse(); // the cached policy at once, the check in the background
        CacheResult checked = revalidated();
        assertThat(checked.policy()).isEqualTo(parse(text));
        assertThat(checked.fresh()).isTrue();
        assertThat(wire(domain)).isEqualTo(afterFirst.plusTxt(1));

        // another node (or this one restarted) on the same keyspace: the stored policy is used, one TXT query
        PolicyCache other = newCache(resolver, new MetricRegistry());
        assertThat(other.get(domain).policy()).isEqualTo(parse(text));
        assertThat(wire(domain)).isEqualTo(afterFirst.plusTxt(2));
    }

    @Test
    void cachedEnforceAndTxtNxdomainKeepsThePolicyWithoutAFetch() {
        String text = cachedEnforce();
        StoredPolicy before = row();
        Wire w0 = wire(domain);
        bed.dns().clear("_mta-sts." + domain); // NXDOMAIN from now on
        clock.advance(settings.idCheckInterval().plusSeconds(1));

        assertThat(cache.get(domain).policy()).isEqualTo(parse(text));
        CacheResult r = revalidated();

        assertThat(r.outcome()).isEqualTo(Outcome.OK);
        assertThat(r.policy()).isEqualTo(parse(text));
        assertThat(r.fresh()).isFalse();
        assertThat(r.reason()).contains("TXT record gone");
        assertThat(wire(domain)).isEqualTo(w0.plusTxt(1));
        assertSameRow(row(), before);

        // a node with nothing in memory keeps it too (read from Cassandra, id checked, still gone)
        PolicyCache cold = newCache(resolver, new MetricRegistry());
        assertThat(cold.get(domain).policy()).isEqualTo(parse(text));
        assertThat(wire(domain)).isEqualTo(w0.plusTxt(2));
        assertSameRow(row(), before);
    }

    @Test
    void cachedEnforceAndIdChangedAndRefetch500KeepsTheOldPolicyAndTheRow() {
        String text = cachedEnforce();
        StoredPolicy before = row();
        Wire w0 = wire(domain);
        changeId(domain, "id2");
        bed.https().respond("mta-sts." + domain, Response.status(500));
        clock.advance(settings.idCheckInterval().plusSeconds(1));

        assertThat(cache.get(domain).recordId()).isEqualTo("id1");
        CacheResult r = revalidated();

        assertThat(r.outcome()).isEqualTo(Outcome.OK);
        assertThat(r.policy()).isEqualTo(parse(text));
        assertThat(r.recordId()).isEqualTo("id1");
        assertThat(r.reason()).contains("id changed to id2").contains("500");
        assertThat(wire(domain).txt).isEqualTo(w0.txt + 1);
        assertThat(wire(domain).get).isEqualTo(w0.get + 1);
        assertSameRow(row(), before);
    }

    @Test
    void aFailedRefetchWithAPolicyCachedIsNotRetriedForFiveMinutes() {
        String text = cachedEnforce();
        changeId(domain, "id2");
        bed.https().respond("mta-sts." + domain, Response.status(500));
        clock.advance(settings.idCheckInterval().plusSeconds(1));
        Instant failedAt = clock.instant();
        assertThat(cache.get(domain).recordId()).isEqualTo("id1");
        assertThat(revalidated().reason()).contains("id changed to id2").contains("500");
        assertThat(txt(domain)).isEqualTo(2);
        assertThat(gets(domain)).isEqualTo(2);

        // RFC 8461 §3.3: after a failed GET, further attempts are limited to one per five minutes; the
        // id is still checked at every idCheckInterval (a TXT query), the cached policy still applies
        for (int i = 1; i <= 4; i++) {
            clock.advance(settings.idCheckInterval().plusSeconds(1)); // up to failedAt + 244 s
            assertThat(cache.get(domain).recordId()).isEqualTo("id1");
            CacheResult r = revalidated();
            assertThat(r.policy()).isEqualTo(parse(text));
            assertThat(r.recordId()).isEqualTo("id1");
        }
        assertThat(txt(domain)).isEqualTo(6);
        assertThat(gets(domain)).isEqualTo(2);
        assertThat(row().recordId()).isEqualTo("id1");

        // five minutes after the failure: one new GET, which now succeeds
        String newText = enforceText(domain, 604_800);
        bed.serve(domain, Response.ok(newText));
        clock.advance(settings.idCheckInterval().plusSeconds(1)); // the next id check: failedAt + 305 s
        assertThat(clock.instant()).isAfter(failedAt.plus(settings.backoff()));
        assertThat(cache.get(domain).recordId()).isEqualTo("id1");
        CacheResult r = revalidated();
        assertThat(r.policy()).isEqualTo(parse(newText));
        assertThat(r.recordId()).isEqualTo("id2");
        assertThat(gets(domain)).isEqualTo(3);
        assertThat(row().recordId()).isEqualTo("id2");
        assertThat(cache.get(domain).policy()).isEqualTo(parse(newText));
    }

    @Test
    void idChangedAndRefetchOkReplacesThePolicy() {
        bed.publish(domain, "id1", enforceText(domain, 86_400));
        cache.get(domain);
        Wire w0 = wire(domain);
        String newText = "version: STSv1\nmode: testing\nmx: new." + domain + "\nmax_age: 604800\n";
        bed.publish(domain, "id2", newText);
        bed.dns().clear("_mta-sts." + domain).txt("_mta-sts." + domain, "v=STSv1; id=id2;");
        clock.advance(settings.idCheckInterval().plusSeconds(1));
        Instant t1 = clock.instant();

        assertThat(cache.get(domain).recordId()).isEqualTo("id1");
        CacheResult r = revalidated();

        assertThat(r.policy()).isEqualTo(parse(newText));
        assertThat(r.recordId()).isEqualTo("id2");
        assertThat(wire(domain).txt).isEqualTo(w0.txt + 1);
        assertThat(wire(domain).get).isEqualTo(w0.get + 1);
        StoredPolicy row = row();
        assertThat(row.recordId()).isEqualTo("id2");
        assertThat(row.policy()).isEqualTo(parse(newText));
        assertThat(row.lastUpdate()).isEqualTo(t1);
        assertThat(row.validUntil()).isEqualTo(t1.plusSeconds(604_800));
    }

    // ------------------------------------------------------------------ failed first fetch: backoff

    /** What the policy host does wrong on a first fetch, and how many request heads it then receives per attempt. */
    enum BrokenHost {
        NOT_FOUND_404(1),
        REDIRECT_301(1),
        EXPIRED_CERTIFICATE(0),
        CHUNKED_BODY_OVER_64_KIB(1),
        CONTENT_TYPE_TEXT_HTML(1),
        TRICKLING_PAST_THE_FETCH_BOUND(1);

        final int getsPerAttempt;

        BrokenHost(int getsPerAttempt) {
            this.getsPerAttempt = getsPerAttempt;
        }

        void apply(String d) {
            String host = "mta-sts." + d;
            String text = enforceText(d, 86_400);
            switch (this) {
                case NOT_FOUND_404:
                    bed.serve(d, Response.status(404));
                    break;
                case REDIRECT_301:
                    bed.serve(d, Response.redirect(301, "https://mta-sts.elsewhere." + d + "/.well-known/mta-sts.txt"));
                    bed.serve("elsewhere." + d, Response.ok(text));
                    break;
                case EXPIRED_CERTIFICATE:
                    bed.serve(d, Response.ok(text));
                    bed.https().certificate(host, bed.ca().issueExpired(host));
                    break;
                case CHUNKED_BODY_OVER_64_KIB:
                    bed.serve(d, Response.ok(padded(text, 65_536 + 2)).chunked());
                    break;
                case CONTENT_TYPE_TEXT_HTML:
                    bed.serve(d, Response.ok(text).contentType("text/html"));
                    break;
                case TRICKLING_PAST_THE_FETCH_BOUND:
                    bed.serve(d, Response.ok(text).trickle(Duration.ofSeconds(1)));
                    break;
                default:
                    throw new AssertionError(this);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(BrokenHost.class)
    void failedFirstFetchIsNoPolicyWithABackoffRowAndNoTrafficForFiveMinutes(BrokenHost broken) {
        PolicyCache c = broken == BrokenHost.TRICKLING_PAST_THE_FETCH_BOUND ? newCache(shortResolver, new MetricRegistry())
                : cache;
        bed.dns().txt("_mta-sts." + domain, "v=STSv1; id=id1;");
        broken.apply(domain);
        Instant t0 = clock.instant();

        CacheResult r = c.get(domain);

        assertThat(r.outcome()).as(r.toString()).isEqualTo(Outcome.BACKOFF);
        assertThat(r.policy()).isNull();
        Wire w1 = wire(domain);
        assertThat(w1.txt).isEqualTo(1);
        assertThat(w1.a).isEqualTo(1);
        assertThat(w1.get).isEqualTo(broken.getsPerAttempt);
        StoredPolicy row = row();
        assertThat(row.backoff()).isTrue();
        assertThat(row.backoffUntil()).isEqualTo(t0.plus(Duration.ofMinutes(5)));
        assertThat(row.policy()).isNull();
        assertThat(row.recordId()).isNull();
        if (broken == BrokenHost.REDIRECT_301) {
            assertThat(gets("elsewhere." + domain)).isZero(); // never followed
        }

        // 4 min 59 s of deliveries: no TXT query, no address lookup, no GET, on this node or a cold one
        for (int minute = 1; minute <= 4; minute++) {
            clock.advance(Duration.ofMinutes(1));
            if (minute == 2) {
                c.clearNearCache();
            }
            assertThat(c.get(domain).outcome()).isEqualTo(Outcome.BACKOFF);
            assertThat(newCache(resolver, new MetricRegistry()).get(domain).outcome()).isEqualTo(Outcome.BACKOFF);
        }
        clock.advance(Duration.ofSeconds(59));
        assertThat(c.get(domain).outcome()).isEqualTo(Outcome.BACKOFF);
        assertThat(wire(domain)).isEqualTo(w1);

        // backoff over: exactly one new attempt (still failing: a new backoff of 5 minutes)
        clock.advance(Duration.ofSeconds(2));
        Instant t1 = clock.instant();
        assertThat(c.get(domain).outcome()).isEqualTo(Outcome.BACKOFF);
        assertThat(c.get(domain).outcome()).isEqualTo(Outcome.BACKOFF);
        Wire w2 = wire(domain);
        assertThat(w2.txt).isEqualTo(2);
        assertThat(w2.get).isEqualTo(2 * broken.getsPerAttempt);
        assertThat(row().backoffUntil()).isEqualTo(t1.plus(Duration.ofMinutes(5)));

        // the host is repaired; after that backoff the next get fetches the policy and clears the backoff
        bed.serve(domain, Response.ok(enforceText(domain, 86_400)));
        clock.advance(Duration.ofMinutes(5).plusSeconds(1));
        CacheResult ok = c.get(domain);
        assertThat(ok.policy()).isEqualTo(parse(enforceText(domain, 86_400)));
        assertThat(wire(domain).txt).isEqualTo(3);
        assertThat(gets(domain)).isEqualTo(2 * broken.getsPerAttempt + 1);
        assertThat(row().backoff()).isFalse();
        assertThat(row().policy()).isEqualTo(ok.policy());
    }

    // ------------------------------------------------------------------ DNS failures

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"SERVFAIL", "DROP"})
    void txtLookupFailureWithNothingCachedIsAnErrorNeverNoPolicyAndStoresNothing(Fault fault) {
        bed.publish(domain, "id1", enforceText(domain, 86_400));
        bed.dns().fault("_mta-sts." + domain, fault);

        CacheResult r = cache.get(domain);

        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.policy()).isNull();
        assertThat(r.reason()).contains("temporary DNS error");
        assertThat(txt(domain)).isEqualTo(1);
        assertThat(a(domain)).isZero();
        assertThat(gets(domain)).isZero();
        assertThat(row()).isNull();
        // not remembered as "no policy": the next delivery asks DNS again and still gets an error
        assertThat(cache.get(domain).outcome()).isEqualTo(Outcome.ERROR);
        assertThat(txt(domain)).isEqualTo(2);
        assertThat(row()).isNull();
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"SERVFAIL", "DROP"})
    void txtLookupFailureWithACachedEnforceKeepsThePolicy(Fault fault) {
        String text = cachedEnforce();
        StoredPolicy before = row();
        Wire w0 = wire(domain);
        bed.dns().fault("_mta-sts." + domain, fault);
        clock.advance(settings.idCheckInterval().plusSeconds(1));

        assertThat(cache.get(domain).policy()).isEqualTo(parse(text));
        CacheResult r = revalidated();

        assertThat(r.outcome()).isEqualTo(Outcome.OK);
        assertThat(r.policy()).isEqualTo(parse(text));
        assertThat(r.reason()).contains("TXT lookup failed");
        assertThat(wire(domain)).isEqualTo(w0.plusTxt(1));
        assertSameRow(row(), before);
    }

    // ------------------------------------------------------------------ expiry

    @Test
    void maxAgeCountsFromTheLastSuccessfulFetchAndAnExpiredPolicyIsNotApplied() {
        String text = enforceText(domain, 3600);
        bed.publish(domain, "id1", text);
        Instant t0 = clock.instant();
        cache.get(domain);

        // an id check with an unchanged id does not extend the validity
        clock.advance(Duration.ofSeconds(1000));
        assertThat(cache.get(domain).policy()).isEqualTo(parse(text));
        assertThat(revalidated().fresh()).isTrue();
        assertThat(txt(domain)).isEqualTo(2);
        assertThat(gets(domain)).isEqualTo(1);
        assertThat(row().validUntil()).isEqualTo(t0.plusSeconds(3600));

        // DNS and HTTPS both down: the policy applies up to valid_until, never after
        bed.dns().fault("_mta-sts." + domain, Fault.SERVFAIL);
        bed.https().respond("mta-sts." + domain, Response.status(500));
        clock.advance(Duration.ofSeconds(2599)); // t0 + 3599 s
        assertThat(cache.get(domain).policy()).isEqualTo(parse(text));
        assertThat(revalidated().policy()).isEqualTo(parse(text));
        clock.advance(Duration.ofSeconds(2)); // t0 + 3601 s
        CacheResult expired = cache.get(domain);
        assertThat(expired.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(expired.policy()).isNull();
        // a node with a cold near cache reads the expired row and does not apply it either
        CacheResult cold = newCache(resolver, new MetricRegistry()).get(domain);
        assertThat(cold.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(cold.policy()).isNull();
        assertThat(gets(domain)).isEqualTo(1);

        // DNS back, HTTPS still down: the expired policy is not applied, the failed fetch backs off
        bed.dns().fault("_mta-sts." + domain, null);
        CacheResult backoff = cache.get(domain);
        assertThat(backoff.outcome()).isEqualTo(Outcome.BACKOFF);
        assertThat(backoff.policy()).isNull();
        assertThat(gets(domain)).isEqualTo(2);
        assertThat(row().backoff()).isTrue();
    }

    @Test
    void aBodyRefetchAtHalfMaxAgeRestartsMaxAge() {
        String text = enforceText(domain, 3600);
        bed.publish(domain, "same", text);
        Instant t0 = clock.instant();
        cache.get(domain);

        clock.advance(Duration.ofSeconds(1801)); // past max_age/2: the body is fetched again, same id
        assertThat(cache.get(domain).policy()).isEqualTo(parse(text));
        CacheResult refetched = revalidated();
        assertThat(refetched.policy()).isEqualTo(parse(text));
        assertThat(refetched.fresh()).isTrue();
        assertThat(gets(domain)).isEqualTo(2);
        Instant t1 = t0.plusSeconds(1801);
        assertThat(row().lastUpdate()).isEqualTo(t1);
        assertThat(row().validUntil()).isEqualTo(t1.plusSeconds(3600));

        bed.dns().fault("_mta-sts." + domain, Fault.SERVFAIL);
        bed.https().respond("mta-sts." + domain, Response.status(500));
        clock.advance(Duration.ofSeconds(3000)); // past the first valid_until, before the second
        assertThat(cache.get(domain).policy()).isEqualTo(parse(text));
        assertThat(revalidated().policy()).isEqualTo(parse(text));
        clock.advance(Duration.ofSeconds(601)); // t1 + 3601 s
        assertThat(cache.get(domain).policy()).isNull();
        assertThat(gets(domain)).isEqualTo(2);
    }

    // ------------------------------------------------------------------ coalescing

    @Test
    void thousandConcurrentGetsOfANewDomainMakeOneTxtQueryAndOneHttpsGet() throws Exception {
        String text = enforceText(domain, 86_400);
        bed.publish(domain, "id1", text);
        // a policy host answering slowly (~3 s for the whole response, within the 10 s fetch bound) keeps
        // the one flight open while all 1,000 gets arrive
        bed.https().respond("mta-sts." + domain, Response.ok(text).trickle(Duration.ofMillis(15)));
        int n = 1000;
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger entered = new AtomicInteger();
        AtomicInteger completed = new AtomicInteger();
        AtomicInteger completedWhenAllEntered = new AtomicInteger(-1);
        AtomicReferenceArray<CacheResult> results = new AtomicReferenceArray<>(n);
        List<Thread> threads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int k = i;
            Thread t = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                if (entered.incrementAndGet() == n) {
                    completedWhenAllEntered.set(completed.get());
                }
                results.set(k, cache.get(domain));
                completed.incrementAndGet();
            }, "wire-get-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        assertThat(ready.await(60, TimeUnit.SECONDS)).isTrue();
        go.countDown();
        for (Thread t : threads) {
            t.join(60_000);
        }

        assertThat(completed.get()).isEqualTo(n);
        for (int i = 0; i < n; i++) {
            CacheResult r = results.get(i);
            assertThat(r.outcome()).as(r.toString()).isEqualTo(Outcome.OK);
            assertThat(r.policy()).isEqualTo(parse(text));
            assertThat(r.recordId()).isEqualTo("id1");
        }
        // all 1,000 gets were inside the cache before the first one returned: they shared one flight
        assertThat(completedWhenAllEntered.get()).isZero();
        assertThat(txt(domain)).isEqualTo(1);
        assertThat(a(domain)).isEqualTo(1);
        assertThat(aaaa(domain)).isLessThanOrEqualTo(1);
        assertThat(gets(domain)).isEqualTo(1);
        assertThat(row().policy()).isEqualTo(parse(text));
    }
}

package dev.jamesmtasts.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.codahale.metrics.MetricRegistry;

import dev.jamesmtasts.cache.CacheResult.Outcome;
import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestDnsServer.Fault;
import dev.jamesmtasts.testing.TestHttpsServer.Response;

/**
 * Checklist §5 for refreshes (the refresher's round and the administrator's forced refresh) against a
 * hostile or failing policy host, over the real Cassandra node, the real {@link MtaStsResolver} and the
 * test DNS and HTTPS servers, counting TXT queries and GETs on the servers: nothing that fails ever
 * downgrades the cached policy; a policy received over valid HTTPS is an update, even a weaker one.
 */
class PolicyRefreshWireTest extends WireTestSupport {
    // ------------------------------------------------------------------ hostile policy server during a refresh

    /**
     * What the policy host (or someone between us and it) does during a refresh. A downgrade is a
     * cached policy lost or weakened because something FAILED or VANISHED: an attacker can make
     * anything fail (block or spoof DNS, block HTTPS, present a certificate not valid for
     * {@code mta-sts.<domain>}, send garbage, stall), so none of that may remove the policy before it
     * expires (RFC 8461 §3.3, §5.1, §10.2). An update is a policy received in an HTTP 200 over a TLS
     * session whose certificate is valid for {@code mta-sts.<domain>} and chains to a trusted root
     * (RFC 8461 §3.3): that is the domain owner speaking, and the cache must take it even when it
     * weakens the policy ({@code mode: none} is how an owner opts out, RFC 8461 §8.3) and even under
     * an unchanged id (owners change bodies without changing ids; checklist §5).
     */
    enum Hostile {
        HTTP_500(1, false),
        CERTIFICATE_FROM_ANOTHER_CA(0, false),
        STALLS_PAST_THE_FETCH_BOUND(1, false),
        INVALID_POLICY_BODY(1, false),
        TXT_RECORD_GONE(0, false),
        TXT_SERVFAIL(0, false),
        MODE_NONE_SAME_ID_VALID_HTTPS(1, true);

        final int gets;
        final boolean legitimateUpdate;

        Hostile(int gets, boolean legitimateUpdate) {
            this.gets = gets;
            this.legitimateUpdate = legitimateUpdate;
        }

        void apply(String d) {
            String host = "mta-sts." + d;
            switch (this) {
                case HTTP_500:
                    bed.https().respond(host, Response.status(500));
                    break;
                case CERTIFICATE_FROM_ANOTHER_CA:
                    bed.https().certificate(host, TestCa.create("Interceptor").issue(host));
                    break;
                case STALLS_PAST_THE_FETCH_BOUND:
                    bed.https().respond(host, Response.ok(enforceText(d, 86_400)).trickle(Duration.ofSeconds(1)));
                    break;
                case INVALID_POLICY_BODY:
                    bed.https().respond(host, Response.ok("version: STSv1\nmode: doubt\nmax_age: 86400\n"));
                    break;
                case TXT_RECORD_GONE:
                    bed.dns().clear("_mta-sts." + d);
                    break;
                case TXT_SERVFAIL:
                    bed.dns().fault("_mta-sts." + d, Fault.SERVFAIL);
                    break;
                case MODE_NONE_SAME_ID_VALID_HTTPS:
                    bed.https().respond(host, Response.ok(NONE_POLICY));
                    break;
                default:
                    throw new AssertionError(this);
            }
        }
    }

    private static final String NONE_POLICY = "version: STSv1\nmode: none\nmax_age: 86400\n";

    @ParameterizedTest
    @EnumSource(Hostile.class)
    void aRefresherRoundNeverDowngradesTheCachedPolicy(Hostile hostile) {
        refreshAgainst(hostile, true);
    }

    @ParameterizedTest
    @EnumSource(Hostile.class)
    void anAdminRefreshNeverDowngradesTheCachedPolicy(Hostile hostile) {
        refreshAgainst(hostile, false);
    }

    private void refreshAgainst(Hostile hostile, boolean round) {
        String text = enforceText(domain, 86_400);
        bed.publish(domain, "id1", text);
        assertThat(cache.get(domain).policy()).isEqualTo(parse(text));
        StoredPolicy before = row();
        // The refresh runs on another node, whose resolver has its own TLS client context: a client that
        // resumes a TLS session with the real host never meets the interceptor's certificate (and a real
        // interceptor cannot resume a session it never had), so only a client without a resumable
        // session tests the certificate check.
        MtaStsResolver refresherSource = newResolver(Duration.ofSeconds(2));
        PolicyCache c = newCache(refresherSource, new MetricRegistry());
        // 13 h later: stale (12 h) and past max_age/2, so the refresh re-fetches the body under the same id
        clock.advance(Duration.ofHours(13));
        hostile.apply(domain);
        Wire w0 = wire(domain);

        RefreshReport.Effect outcome;
        if (round) {
            RoundSummary s = c.runRefreshRound();
            assertThat(s.complete()).isTrue();
            assertThat(s.rowsDue()).isEqualTo(1);
            outcome = s.outcomes().entrySet().stream().filter(en -> en.getValue() > 0).map(en -> en.getKey())
                    .findFirst().orElseThrow();
            assertThat(s.outcomes().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(1);
        } else {
            outcome = c.refresh(domain).outcome();
        }

        assertThat(wire(domain).txt).isEqualTo(w0.txt + 1);
        assertThat(wire(domain).get).isEqualTo(w0.get + hostile.gets);
        if (hostile.legitimateUpdate) {
            assertThat(outcome).isEqualTo(RefreshReport.Effect.UPDATED);
            StoredPolicy row = row();
            assertThat(row.policy().mode()).isEqualTo(StsPolicy.Mode.NONE);
            assertThat(row.recordId()).isEqualTo("id1");
            assertThat(row.lastUpdate()).isEqualTo(clock.instant());
            CacheResult r = c.get(domain);
            assertThat(r.outcome()).isEqualTo(Outcome.OK);
            assertThat(r.policy()).isNull(); // deliver as without a policy: the owner said so
        } else {
            assertThat(outcome).isEqualTo(RefreshReport.Effect.KEPT);
            assertSameRow(row(), before);
            CacheResult r = c.get(domain);
            assertThat(r.outcome()).isEqualTo(Outcome.OK);
            assertThat(r.policy()).isEqualTo(parse(text));
            // and from a node that has nothing in memory
            assertThat(newCache(refresherSource, new MetricRegistry()).get(domain).policy()).isEqualTo(parse(text));
        }
    }
}

package dev.jamesmtasts.james;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.annotation.PreDestroy;
import javax.inject.Inject;
import javax.inject.Singleton;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.google.inject.Binding;
import com.google.inject.Injector;
import com.google.inject.Key;

import dev.jamesmtasts.dane.DanePolicy;
import dev.jamesmtasts.dane.DaneSettings;
import dev.jamesmtasts.dane.DnssecCache;
import dev.jamesmtasts.mtasts.DnssecAnswer;
import dev.jamesmtasts.mtasts.DnssecResolver;

/**
 * DANE's validated lookups on this node (one {@link DnssecCache} shared by every delivery mailet) and
 * whether they can be trusted: the self-check.
 *
 * <p><b>Why a self-check.</b> The extension validates DNSSEC itself, from the root's trust anchors, but
 * asks recursive resolvers ({@code dane.resolvers}) for the records. A resolver that strips DNSSEC records
 * (some home routers, some filtering resolvers) makes every signed zone look bogus, and RFC 7672 §2.1.1
 * then defers all mail to every signed domain. So before DANE is used, the DNSKEY RRset of the trust
 * anchor's zone (the root) is looked up and validated ({@link DnssecResolver#anchorCheck()}): secure =
 * DANE active; bogus or insecure before any check succeeded = DANE off for every mailet with
 * {@code dane=follow} (an ERROR in the log with the fix, gauge {@value #ACTIVE_GAUGE} = 0; domains with a
 * {@code require} override are deferred); no answer = off until a check answers (retried every
 * {@value #RETRY_SECONDS} s). The first check runs when the first mailet with DANE starts (bounded by
 * {@code dane.lookupTimeout}), then every {@code dane.selfCheckInterval}.
 *
 * <p><b>No downgrade switch.</b> Once a check has succeeded in this JVM, DANE is never turned off again
 * by a failing check: someone on the path between James and its resolver who can make a later check fail
 * (strip the root's signatures) must not be able to switch DANE off and then strip STARTTLS (RFC 7672 §1.3
 * is about exactly that downgrade). Such a failure is logged at ERROR, gauge {@value #SELF_CHECK_GAUGE} = 0,
 * and DANE stays on: the validated lookups of signed domains then come back bogus or unanswered and their
 * mail is deferred (RFC 7672 §2.1.1), which is safe and visible. Only a node whose validation never worked
 * runs with DANE off. Nothing is looked up, and no thread started, until a mailet needs DANE
 * ({@link #activate()}).
 */
@Singleton
public class DaneService {
    private static final Logger LOGGER = LoggerFactory.getLogger(DaneService.class);
    /** Gauge: 1 while DANE is active on this node, 0 otherwise. */
    public static final String ACTIVE_GAUGE = "mtaSts.dane.active";
    /** Gauge: 1 while the last self-check that got an answer passed, 0 otherwise (DANE may still be active). */
    public static final String SELF_CHECK_GAUGE = "mtaSts.dane.selfCheckOk";
    static final long RETRY_SECONDS = 30;

    private final DaneSettings settings;
    private final List<InetSocketAddress> fallbackResolvers;
    private volatile DnssecResolver resolver;
    private volatile DnssecCache cache;
    private volatile DanePolicy policy;
    private volatile boolean active;
    /** True once a self-check succeeded in this JVM: from then on, a failing check never turns DANE off. */
    private volatile boolean everValidated;
    /** The last self-check that got an answer passed. */
    private volatile boolean selfCheckOk;
    private volatile String state = "not started: no delivery mailet uses DANE";
    /** The {@code dane} parameter of each delivery mailet started on this node (usually one). */
    private final java.util.Set<String> modes = new java.util.TreeSet<>();
    /** The last self-check's outcome, its reason (safe text) and when it ran; NOT_RUN before the first. */
    private volatile DaneStatus.Check lastCheck = DaneStatus.Check.NOT_RUN;
    private volatile String lastReason = "";
    private volatile java.time.Instant lastCheckAt;
    private String lastLoggedOff;
    private ScheduledExecutorService checks;

    @Inject
    public DaneService(MtaStsConfiguration configuration, Injector injector) {
        this(configuration.daneSettings(), configuration.resolverSettings().resolvers());
        Binding<MetricRegistry> b = injector.getExistingBinding(Key.get(MetricRegistry.class));
        if (b != null) {
            MetricRegistry registry = b.getProvider().get();
            registry.remove(ACTIVE_GAUGE);
            registry.register(ACTIVE_GAUGE, (Gauge<Integer>) () -> active ? 1 : 0);
            registry.remove(SELF_CHECK_GAUGE);
            registry.register(SELF_CHECK_GAUGE, (Gauge<Integer>) () -> selfCheckOk ? 1 : 0);
        }
    }

    /**
     * @param fallbackResolvers the servers asked when {@code dane.resolvers} names none (the MTA-STS
     *                          lookups' {@code dns.resolvers}; empty: the system's)
     */
    DaneService(DaneSettings settings, List<InetSocketAddress> fallbackResolvers) {
        this.settings = settings;
        this.fallbackResolvers = List.copyOf(fallbackResolvers);
    }

    /**
     * Notes a delivery mailet's {@code dane} parameter ({@link DaneStatus#mode()}); called at its init,
     * before {@link #activate()}.
     */
    synchronized void mailetConfigured(MtaStsMailetSettings.Dane mode) {
        modes.add(mode.name().toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * Starts the self-check if not started: runs the first check now (at most {@code dane.lookupTimeout}),
     * then schedules the next ones. Called by each delivery mailet that uses DANE, at init.
     */
    public synchronized void activate() {
        if (checks != null) {
            return;
        }
        resolver = settings.resolver(fallbackResolvers);
        cache = new DnssecCache(dev.jamesmtasts.dane.DnssecLookups.of(resolver), settings.cacheSize(),
                settings.cacheMaxTtl(), settings.bogusTtl());
        policy = new DanePolicy(cache);
        checks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mta-sts-dane-selfcheck");
            t.setDaemon(true);
            return t;
        });
        long next = check();
        schedule(next);
    }

    private synchronized void schedule(long seconds) {
        if (seconds > 0 && checks != null && !checks.isShutdown()) {
            checks.schedule(() -> {
                if (resolver != null) {
                    schedule(check());
                }
            }, seconds, TimeUnit.SECONDS);
        }
    }

    /** One self-check; returns when the next is due, in seconds (0: none). */
    synchronized long check() {
        DnssecAnswer a = resolver.anchorCheck();
        boolean was = active;
        String servers = resolversText();
        lastCheckAt = java.time.Instant.now();
        lastReason = dev.jamesmtasts.mtasts.SafeText.display(a.detail());
        lastCheck = a.status() == DnssecAnswer.Status.SECURE ? DaneStatus.Check.OK
                : a.status() == DnssecAnswer.Status.TEMPORARY ? DaneStatus.Check.NO_ANSWER : DaneStatus.Check.FAILED;
        switch (a.status()) {
            case SECURE:
                boolean wasFailing = everValidated && !selfCheckOk;
                active = true;
                everValidated = true;
                selfCheckOk = true;
                state = "active: DNSSEC validation works (" + a.detail() + ")";
                if (wasFailing) {
                    LOGGER.info("DANE (RFC 7672) self-check passes again: DNSSEC validation through {} works ({})",
                            servers, a.detail());
                }
                if (!was) {
                    LOGGER.info("DANE (RFC 7672) is active: DNSSEC validation through {} works ({})", servers, a.detail());
                }
                break;
            case TEMPORARY:
                if (was) {
                    // keep what worked: one unanswered check says nothing about validation
                    LOGGER.warn("DANE self-check got no answer from {} ({}); DANE stays active, checked again in {}s",
                            servers, a.detail(), RETRY_SECONDS);
                } else {
                    state = "off: the DNSSEC self-check got no answer yet (" + a.detail() + "), retried every "
                            + RETRY_SECONDS + "s";
                    LOGGER.warn("DANE (RFC 7672) is off for now: the DNSSEC self-check got no answer from {} ({}); "
                            + "retried every {}s, mail meanwhile goes as without DANE", servers, a.detail(), RETRY_SECONDS);
                }
                return RETRY_SECONDS;
            default:
                selfCheckOk = false;
                if (everValidated) {
                    // RFC 7672 §1.3: a failing check must not be a downgrade switch. DANE stays on; lookups of
                    // signed domains come back bogus or unanswered and their mail is deferred until fixed.
                    state = "active, but the DNSSEC self-check fails (" + a.detail() + "): mail to DNSSEC-signed "
                            + "domains is deferred";
                    LOGGER.error("DANE (RFC 7672) self-check FAILS after it passed: DNSSEC validation through {} fails "
                            + "({}). DANE stays ON (a failing check is no switch to turn it off, an on-path attacker "
                            + "could use it): mail to DNSSEC-signed domains is deferred until validation works again. "
                            + "Check the path to dane.resolvers and the resolvers themselves", servers, a.detail());
                    break;
                }
                active = false;
                state = "off: DNSSEC validation does not work (" + a.detail() + ")";
                if (was || !state.equals(lastLoggedOff)) {
                    LOGGER.error("DANE (RFC 7672) is OFF: DNSSEC validation through {} fails ({}). Mail to every "
                            + "domain goes as without DANE (domains with a dane require override are deferred). Fix: "
                            + "point dane.resolvers in mta-sts.properties at a recursive resolver that passes DNSSEC "
                            + "records (unbound, BIND, Knot Resolver, or a public validating resolver), check "
                            + "dane.trustAnchors, or set the delivery mailet's dane parameter to off to silence this",
                            servers, a.detail());
                    lastLoggedOff = state;
                }
                break;
        }
        Duration interval = settings.selfCheckInterval();
        return interval.isZero() ? 0 : Math.max(1, interval.getSeconds());
    }

    private String resolversText() {
        List<InetSocketAddress> servers = settings.resolvers().isEmpty() ? fallbackResolvers : settings.resolvers();
        return servers.isEmpty() ? "the system's resolvers" : servers.toString();
    }

    /** Whether DANE is used now: the self-check passed. */
    public boolean active() {
        return active;
    }

    /** Whether the last self-check that got an answer passed (gauge {@value #SELF_CHECK_GAUGE}). */
    boolean selfCheckOk() {
        return selfCheckOk;
    }

    /** What the self-check found, in words (for logs, the report of an attempt, the MBean). */
    public String state() {
        return state;
    }

    /** Everything an administrator reads of DANE on this node, as of now (health, MBean). */
    public DaneStatus status() {
        String mode;
        synchronized (this) {
            mode = modes.isEmpty() ? DaneStatus.NO_MAILET : String.join(",", modes);
        }
        return new DaneStatus(mode, policy != null, active, everValidated, lastCheck, lastReason, lastCheckAt, state,
                resolversText());
    }

    /** The decision over the cached validated lookups; null before {@link #activate()}. */
    public DanePolicy policy() {
        return policy;
    }

    /** The cache (hits, misses, size), null before {@link #activate()}. */
    DnssecCache cache() {
        return cache;
    }

    @PreDestroy
    public synchronized void stop() {
        if (checks != null) {
            checks.shutdownNow();
            checks = null;
        }
        active = false;
        selfCheckOk = false;
        state = "stopped";
    }
}

package dev.jamesmtasts.james;

import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.cache.PolicyPreview;
import dev.jamesmtasts.cache.StoredPolicy;
import dev.jamesmtasts.cache.StoredPolicyView;
import dev.jamesmtasts.dane.DaneDomain;
import dev.jamesmtasts.dane.DaneHost;
import dev.jamesmtasts.dane.DanePolicy;
import dev.jamesmtasts.dane.DaneSettings;
import dev.jamesmtasts.james.AttemptContext.Application;
import dev.jamesmtasts.james.DeliveryAttemptReport.CertificateVerdict;
import dev.jamesmtasts.james.DeliveryAttemptReport.MxResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.Starttls;
import dev.jamesmtasts.james.MtaStsMailetSettings.Dane;
import dev.jamesmtasts.james.MtaStsMailetSettings.Mode;
import dev.jamesmtasts.james.MtaStsMailetSettings.OnLookupError;
import dev.jamesmtasts.mtasts.LookupResult;
import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.PolicyFetchResult;
import dev.jamesmtasts.mtasts.RecordLookupResult;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.StarttlsProbe;
import dev.jamesmtasts.mtasts.StarttlsProbeResult;
import dev.jamesmtasts.mtasts.StsPolicy;
import dev.jamesmtasts.mtasts.TlsRptLookupResult;
import dev.jamesmtasts.mtasts.TlsRptRecord;

/**
 * "How would my mail to this domain go out?", answered live without sending mail: the domain's MX
 * hosts, each probed (connect, greeting, EHLO, STARTTLS, TLS version, certificate chain and names:
 * {@link StarttlsProbe}), its MTA-STS policy as published now and as cached, its TLS-RPT record
 * (RFC 8460 §3), DANE (the MX RRset's DNSSEC status, each MX's TLSA records and whether the chain matches
 * them, RFC 7672), and the verdict the next delivery attempt would reach, with its reason.
 *
 * <p>The verdict is the delivery's own: the policy the next attempt applies is what the cache's rules
 * answer for the stored row and the TXT lookup made now ({@link PolicyPreview}, the rules of
 * {@code PolicyDecisions}); how it is applied is {@link PolicyDecider}'s decision (mode, overrides,
 * lookup errors); DANE is {@link DaneDecider}'s and {@code DanePolicy}'s ({@link AttemptContext#daneDecision});
 * the session each MX gets is {@link MxSession}'s; under {@code enforce} an MX is used when
 * {@link MxResult#failsEnforce()} says so, with the certificate verdict classified as the delivery
 * classifies a handshake ({@link TlsProbe#classify}), and a DANE host's chain is checked by
 * {@link TlsProbe#daneChecked}. Nothing is stored or delivered.
 *
 * <p>Used by {@code mta-sts check} (a standalone tool with the mailet's default settings, or through a
 * running James over JMX) and by WebAdmin's {@code GET /mta-sts/domains/DOMAIN/check}; both print
 * {@link #run}'s map (text or JSON, field names documented in {@code docs/cli.md}). No James API: the
 * sources are given ({@link Builder}).
 *
 * <p>Every address of an MX host (at most {@value #MAX_ADDRESSES}) is probed and judged by the same rules,
 * since the delivery goes on to the next address when one fails: the host is used when one of its addresses
 * would be, and {@code next_attempt.disagreement} says when they differ (one address without STARTTLS, with
 * another certificate, failing its TLSA check).
 *
 * <p>Bounds: ONE deadline over the whole check ({@link Builder#deadline}); the lookups, the fetch and
 * the probes (each probed address of each MX host, at most {@value #MAX_MX} hosts, concurrently) run on threads of their own and
 * what has not finished by the deadline is reported as such (each step keeps its own bound too: DNS and
 * fetch time-outs, the probe's per-step time-out). Text from the network is kept exact in the map: show
 * it through {@code SafeText} / {@code SafeJson}.
 */
public final class DomainCheck implements AutoCloseable {
    /** The most MX hosts looked at. */
    public static final int MAX_MX = 10;
    /**
     * The most addresses of one MX host probed (A then AAAA, in the order the delivery tries them): the
     * delivery goes on to a host's next address when one fails, so each can decide where mail goes.
     */
    public static final int MAX_ADDRESSES = 4;
    /** Default bound on the whole check. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);
    /** Default bound on one step of an MX probe (the connect, each SMTP reply). */
    public static final Duration DEFAULT_STEP_TIMEOUT = Duration.ofSeconds(10);

    /** {@code verdict.action}: the next attempt would deliver. */
    public static final String DELIVER = "deliver";
    /** {@code verdict.action}: the next attempt would be a temporary failure (retried later). */
    public static final String DEFER = "defer";
    /** {@code verdict.action}: the next attempt would fail permanently (no such domain, null MX). */
    public static final String FAIL = "fail";
    /** {@code verdict.action}: the check did not finish in time to tell. */
    public static final String UNKNOWN = "unknown";

    /** The stored policy rows the check shows and previews from. */
    public interface StoredRows {
        /** The stored row of a normalized domain; may throw when the store cannot be read. */
        Optional<StoredPolicy> read(String domain);

        /** Which store, in words (for the report). */
        String where();
    }

    /** What a backend lends a check: its live source, its stored rows and their {@code cache.backoff}. */
    public static final class Sources {
        final MtaStsResolver resolver;
        final StoredRows rows;
        final Duration backoff;

        public Sources(MtaStsResolver resolver, StoredRows rows, Duration backoff) {
            this.resolver = Objects.requireNonNull(resolver);
            this.rows = rows;
            this.backoff = backoff;
        }
    }

    private final MtaStsResolver resolver;
    private final StoredRows rows;
    private final Duration backoff;
    private final MxTargets mx;
    private final PolicyDecider decider;
    private final String settings;
    private final StarttlsProbe probe;
    private final Duration deadline;
    private final Clock clock;
    /** Null: DANE not consulted. */
    private final DaneDecider daneDecider;
    private final DaneService daneService;
    /** The check made the service ({@link Builder#dane(DaneSettings)}): activated here, stopped by {@link #close()}. */
    private final boolean ownsDane;

    private DomainCheck(Builder b) {
        this.resolver = Objects.requireNonNull(b.resolver, "resolver");
        this.rows = b.rows;
        this.backoff = b.backoff;
        this.mx = Objects.requireNonNull(b.mx, "mx");
        this.decider = b.decider;
        this.settings = b.settings;
        this.probe = Objects.requireNonNull(b.probe, "probe");
        this.deadline = b.deadline;
        this.clock = b.clock;
        if (b.daneSettings != null) {
            this.daneService = new DaneService(b.daneSettings, resolver.settings().resolvers());
            this.daneDecider = new DaneDecider(Dane.FOLLOW, Map.of(), false, daneService);
            this.ownsDane = true;
        } else {
            this.daneService = b.daneService;
            this.daneDecider = b.daneDecider;
            this.ownsDane = false;
        }
    }

    /** Stops the DNSSEC self-check of a DANE service this check made. */
    @Override
    public void close() {
        if (ownsDane) {
            daneService.stop();
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Everything a check needs; the decider defaults to the mailet's default settings. */
    public static final class Builder {
        private MtaStsResolver resolver;
        private StoredRows rows;
        private Duration backoff = dev.jamesmtasts.cache.CacheSettings.defaults().backoff();
        private MxTargets mx;
        private PolicyDecider decider = new PolicyDecider(Mode.FOLLOW, OnLookupError.DEFER, Map.of(), false);
        private String settings = "the mailet's defaults (mtaStsMode=follow, mtaStsOnLookupError=defer, no "
                + "mtaStsOverrides), not those of a running James";
        private StarttlsProbe probe;
        private Duration deadline = DEFAULT_DEADLINE;
        private Clock clock = Clock.systemUTC();
        private DaneSettings daneSettings;
        private DaneDecider daneDecider;
        private DaneService daneService;

        /** TXT, policy fetch and TLS-RPT lookups (the live source James's cache uses). */
        public Builder resolver(MtaStsResolver r) {
            this.resolver = r;
            return this;
        }

        /** The policy cache's rows (none: the preview is that of a first contact), and {@code cache.backoff}. */
        public Builder storedRows(StoredRows r, Duration cacheBackoff) {
            this.rows = r;
            this.backoff = cacheBackoff;
            return this;
        }

        /** {@link #resolver} and {@link #storedRows} from a backend. */
        public Builder sources(Sources s) {
            return resolver(s.resolver).storedRows(s.rows, s.backoff);
        }

        public Builder mx(MxTargets targets) {
            this.mx = targets;
            return this;
        }

        public Builder probe(StarttlsProbe p) {
            this.probe = p;
            return this;
        }

        /** The bound on the whole check. */
        public Builder deadline(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("deadline must be positive");
            }
            this.deadline = d;
            return this;
        }

        /**
         * DANE (RFC 7672) as a delivery mailet with {@code dane=follow} applies it: DNSSEC-validated lookups
         * with {@code settings} (the resolver's servers when it names none), after the same self-check
         * ({@link DaneService}). Without this (or {@link #dane(DaneDecider, DaneService)}) DANE is not consulted.
         */
        public Builder dane(DaneSettings settings) {
            this.daneSettings = settings;
            this.daneDecider = null;
            this.daneService = null;
            return this;
        }

        /** The running mailet's DANE rules and this node's DANE service. */
        Builder dane(DaneDecider decider, DaneService service) {
            this.daneDecider = decider;
            this.daneService = service;
            this.daneSettings = null;
            return this;
        }

        Builder decider(PolicyDecider d, String whose) {
            this.decider = d;
            this.settings = whose;
            return this;
        }

        Builder clock(Clock c) {
            this.clock = c;
            return this;
        }

        public DomainCheck build() {
            return new DomainCheck(this);
        }
    }

    /**
     * Checks {@code domain} (normalized: lower-case A-labels, no trailing dot). The map's shape is the
     * JSON of {@code mta-sts check --json} and of the WebAdmin route.
     */
    public Map<String, Object> run(String domain) {
        long start = System.nanoTime();
        long end = start + deadline.toNanos();
        // the MX lookups and probes end a little earlier, so that their results (a time-out included) are in
        // by the deadline rather than reported as unfinished
        long probeEnd = end - Math.min(TimeUnit.SECONDS.toNanos(1), deadline.toNanos() / 10);
        Instant now = clock.instant();
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "mta-sts-check-" + domain);
            t.setDaemon(true);
            return t;
        });
        try {
            Future<Published> published = pool.submit(() -> published(domain));
            Future<Optional<StoredPolicy>> cached = rows == null ? null : pool.submit(() -> rows.read(domain));
            Future<TlsRptLookupResult> tlsRpt = pool.submit(() -> resolver.lookupTlsRpt(domain));
            Future<MxTargets.Hosts> hosts = pool.submit(() -> mx.find(domain, probeEnd));
            Future<DaneFacts> dane = pool.submit(() -> daneDomain(domain));

            Outcome<MxTargets.Hosts> h = await(hosts, end);
            List<Future<Probed>> probes = new ArrayList<>();
            List<Future<DaneHost>> daneHosts = new ArrayList<>();
            if (h.value != null) {
                for (MxTargets.Target t : h.value.targets()) {
                    probes.add(pool.submit(() -> probe(t, probeEnd, pool)));
                    daneHosts.add(pool.submit(() -> daneHost(dane, t.host(), probeEnd)));
                }
            }
            Outcome<Published> pub = await(published, end);
            Outcome<Optional<StoredPolicy>> row = cached == null ? null : await(cached, end);
            Outcome<TlsRptLookupResult> rpt = await(tlsRpt, end);
            List<Outcome<Probed>> probed = new ArrayList<>();
            for (Future<Probed> f : probes) {
                probed.add(await(f, end));
            }
            Outcome<DaneFacts> d = await(dane, end);
            List<Outcome<DaneHost>> daneDecisions = new ArrayList<>();
            for (Future<DaneHost> f : daneHosts) {
                daneDecisions.add(await(f, end));
            }
            return report(domain, now, start, pub, row, rpt, h, probed, d, daneDecisions);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The published policy now: the TXT lookup, then (for a record) the fetch, kept for the preview. */
    private Published published(String domain) {
        RecordLookupResult rec = resolver.lookupRecord(domain);
        Memo<PolicyFetchResult> fetch = new Memo<>(() -> resolver.fetchPolicy(domain));
        return new Published(rec, fetch, LookupResult.of(domain, rec, fetch));
    }

    /** What DANE says of the domain: the decision the next attempt gets, and the MX RRset's DNSSEC status. */
    private static final class DaneFacts {
        final DaneDomain decision;
        /** When the decision did not look (DANE off): the validated MX lookup, as a fact; else null. */
        final DaneDomain mxDnssec;
        final String validation;

        DaneFacts(DaneDomain decision, DaneDomain mxDnssec, String validation) {
            this.decision = decision;
            this.mxDnssec = mxDnssec;
            this.validation = validation;
        }
    }

    private DaneFacts daneDomain(String domain) {
        if (daneDecider == null) {
            return new DaneFacts(DaneDomain.off(domain, "DANE not checked (no DNSSEC settings given)"), null,
                    "not used");
        }
        if (ownsDane) {
            daneService.activate(); // the self-check a mailet makes at init (bounded by dane.lookupTimeout)
        }
        DaneDomain decision = daneDecider.decide(domain);
        DaneDomain fact = null;
        if (decision.status() == DaneDomain.Status.OFF && daneService.active() && daneService.policy() != null) {
            fact = daneService.policy().domain(domain, false);
        }
        return new DaneFacts(decision, fact, daneService.state());
    }

    /** The host's DANE decision as the attempt would make it ({@link AttemptContext#daneDecision}); null: none made. */
    private DaneHost daneHost(Future<DaneFacts> dane, String host, long end) throws Exception {
        DaneFacts facts = dane.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        DanePolicy policy = daneService == null ? null : daneService.policy();
        return new AttemptContext(Application.NONE, null, facts.decision, policy).daneDecision(host.toLowerCase(Locale.ROOT));
    }

    /**
     * Probes the first {@value #MAX_ADDRESSES} addresses of {@code target}, concurrently (each probe ends by
     * {@code end}: the one deadline holds whatever the number of addresses).
     */
    private Probed probe(MxTargets.Target target, long end, ExecutorService pool) throws InterruptedException {
        MxTargets.Target t = target.addresses() == null ? mx.resolve(target, end) : target;
        List<InetSocketAddress> addresses = t.addresses().subList(0, Math.min(MAX_ADDRESSES, t.addresses().size()));
        List<Future<StarttlsProbeResult>> others = new ArrayList<>();
        for (InetSocketAddress a : addresses.subList(Math.min(1, addresses.size()), addresses.size())) {
            others.add(pool.submit(() -> probe.probe(t.host(), a, end)));
        }
        List<StarttlsProbeResult> results = new ArrayList<>();
        if (!addresses.isEmpty()) {
            results.add(probe.probe(t.host(), addresses.get(0), end));
        }
        for (Future<StarttlsProbeResult> f : others) {
            Outcome<StarttlsProbeResult> o = await(f, end + TimeUnit.MILLISECONDS.toNanos(200));
            results.add(o.value); // null: cut by the deadline (the probe's own watchdog ends it by then)
        }
        return new Probed(t, results);
    }

    // ------------------------------------------------------------------ the report

    private Map<String, Object> report(String domain, Instant now, long start, Outcome<Published> pub,
                                       Outcome<Optional<StoredPolicy>> row, Outcome<TlsRptLookupResult> rpt,
                                       Outcome<MxTargets.Hosts> hosts, List<Outcome<Probed>> probed,
                                       Outcome<DaneFacts> dane, List<Outcome<DaneHost>> daneHosts) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("domain", domain);
        m.put("checked_at", now.toString());
        m.put("settings", settings);

        // MTA-STS: published, cached, and what the next attempt's lookup answers
        Map<String, Object> sts = new LinkedHashMap<>();
        sts.put("published", pub.value == null ? unfinished(pub) : publishedView(pub.value.result));
        StoredPolicy stored = null;
        String rowNote = null;
        if (row == null) {
            sts.put("cached", Map.of("consulted", false, "reason", "no policy store given"));
        } else if (row.value == null) {
            rowNote = "the stored row could not be read (" + row.error + ")";
            sts.put("cached", Map.of("consulted", true, "store", rows.where(), "error", row.error));
        } else {
            stored = row.value.orElse(null);
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("consulted", true);
            c.put("store", rows.where());
            c.put("row", stored == null ? null : StoredPolicyView.of(stored, false));
            sts.put("cached", c);
        }
        CacheResult answer = nextAnswer(domain, stored, pub, now);
        Map<String, Object> next = new LinkedHashMap<>();
        next.put("outcome", answer.outcome() == CacheResult.Outcome.NOT_FOUND ? "notfound"
                : answer.outcome().name().toLowerCase(Locale.ROOT));
        next.put("policy_id", answer.recordId());
        next.put("reason", rowNote == null ? answer.reason() : answer.reason() + "; " + rowNote + ", answered as a first contact");
        sts.put("next_attempt", next);
        AttemptDecision decision = decider.decide(domain, d -> answer);
        Map<String, Object> dec = new LinkedHashMap<>();
        dec.put("application", decision.application.name().toLowerCase(Locale.ROOT));
        dec.put("origin", decision.origin.name().toLowerCase(Locale.ROOT));
        dec.put("policy_id", decision.policyId);
        if (decision.policy != null) {
            dec.put("policy", policyView(decision.policy));
        }
        dec.put("defer", decision.defer);
        dec.put("reason", decision.reason());
        sts.put("decision", dec);
        m.put("mta_sts", sts);

        m.put("tls_rpt", rpt.value == null ? unfinished(rpt) : tlsRptView(rpt.value));
        m.put("dane", dane.value == null ? unfinished(dane) : daneView(dane.value));

        // MX hosts, one section each
        Map<String, Object> mxLookup = new LinkedHashMap<>();
        if (hosts.value == null) {
            mxLookup.putAll(unfinished(hosts));
        } else {
            mxLookup.put("status", hosts.value.status().name().toLowerCase(Locale.ROOT));
            mxLookup.put("detail", hosts.value.detail());
        }
        m.put("mx_lookup", mxLookup);
        List<Map<String, Object>> mxViews = new ArrayList<>();
        List<MxVerdict> verdicts = new ArrayList<>();
        for (int i = 0; i < probed.size(); i++) {
            Outcome<Probed> o = probed.get(i);
            MxTargets.Target t = hosts.value.targets().get(i);
            MxVerdict v = mxVerdict(t, o, decision, daneHosts.get(i));
            verdicts.add(v);
            mxViews.add(v.view);
        }
        m.put("mx", mxViews);
        m.put("verdict", verdict(decision, dane, hosts, verdicts));
        m.put("elapsed_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        m.put("deadline_ms", deadline.toMillis());
        boolean complete = pub.value != null && (row == null || row.finished) && rpt.value != null && hosts.value != null
                && dane.value != null && probed.stream().allMatch(o -> o.value != null && !o.value.probes.contains(null))
                && daneHosts.stream().allMatch(o -> o.finished);
        m.put("complete", complete);
        return m;
    }

    /**
     * The answer the next delivery's policy lookup would get: the cache's rules over the stored row and the
     * TXT lookup just made ({@link PolicyPreview}); a lookup cut by the deadline counts as a temporary error.
     */
    private CacheResult nextAnswer(String domain, StoredPolicy stored, Outcome<Published> pub, Instant now) {
        RecordLookupResult rec = pub.value != null ? pub.value.record
                : RecordLookupResult.temporaryError("the TXT lookup did not finish within the check's deadline");
        Supplier<PolicyFetchResult> fetch = pub.value != null ? pub.value.fetch
                : () -> PolicyFetchResult.failure(dev.jamesmtasts.mtasts.FetchFailure.TIMEOUT,
                        "not fetched within the check's deadline");
        return PolicyPreview.nextDelivery(domain, stored, rec, fetch, now, backoff);
    }

    /** One MX host: what the probe saw, and whether the next attempt would use it and why. */
    private static final class MxVerdict {
        final String host;
        final boolean use;
        final boolean finished;
        /** The host would be authenticated by its TLSA records (RFC 7672), not by MTA-STS. */
        final boolean dane;
        final Map<String, Object> view;

        MxVerdict(String host, boolean use, boolean finished, boolean dane, Map<String, Object> view) {
            this.host = host;
            this.use = use;
            this.finished = finished;
            this.dane = dane;
            this.view = view;
        }
    }

    /** What one probed address would give the next attempt (the rules of one MX host, applied to one probe). */
    private static final class AddressVerdict {
        final StarttlsProbeResult probe;
        Starttls starttls = Starttls.UNKNOWN;
        CertificateVerdict cert = CertificateVerdict.NOT_CHECKED;
        String certReason;
        boolean handshake;
        boolean reachable;
        String error;
        MxResult result;
        /** The DANE session's check of this address's chain; null when not made. */
        Map<String, Object> daneVerification;
        boolean use;
        String why;
        String applied;

        AddressVerdict(StarttlsProbeResult probe) {
            this.probe = probe;
        }

        /** What the addresses of a host are compared on: whether used, STARTTLS, certificate, TLSA check. */
        String facts() {
            return use + "/" + starttls + "/" + cert + "/"
                    + (daneVerification == null ? "" : daneVerification.get("outcome"));
        }

        Map<String, Object> view() {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("address", hostPort(probe.address()));
            a.put("stage", probe.stage().name().toLowerCase(Locale.ROOT));
            a.put("starttls", starttls.name().toLowerCase(Locale.ROOT));
            if (probe.tlsProtocol() != null) {
                a.put("tls_version", probe.tlsProtocol());
            }
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("verdict", cert.name().toLowerCase(Locale.ROOT));
            if (certReason != null) {
                c.put("reason", certReason);
            }
            if (!probe.chain().isEmpty()) {
                c.put("sha256", sha256(probe.chain().get(0)));
            }
            a.put("certificate", c);
            if (daneVerification != null) {
                a.put("dane_verification", daneVerification);
            }
            if (error != null) {
                a.put("error", error);
            }
            a.put("use", use);
            a.put("reason", why);
            return a;
        }
    }

    /**
     * One address of {@code host} under the attempt's rules: the probe's facts, then whether the session the
     * host gets ({@link MxSession}) would go on there, and why. {@code p} null: nothing probed ({@code noProbe}
     * says why).
     */
    private static AddressVerdict judge(String host, StarttlsProbeResult p, String noProbe, AttemptDecision decision,
                                        boolean matched, MxSession session, DaneHost dane,
                                        Outcome<DaneHost> daneOutcome) {
        AddressVerdict a = new AddressVerdict(p);
        a.handshake = p != null && p.stage() == StarttlsProbeResult.Stage.DONE;
        if (p != null) {
            a.starttls = p.starttlsOffered() == null ? Starttls.UNKNOWN
                    : p.starttlsOffered() ? Starttls.OFFERED : Starttls.NOT_OFFERED;
            if (a.handshake) {
                // the delivery's rules: PKIX + host name by the trust manager, TLS >= 1.2 (TlsProbe)
                a.cert = p.trustFailure() == null ? CertificateVerdict.VALID : TlsProbe.classify(p.trustFailure());
                a.certReason = p.trustFailure() == null ? null : TlsProbe.describe(a.cert, p.trustFailure());
            } else if (p.handshakeFailure() != null) {
                a.cert = TlsProbe.classify(p.handshakeFailure());
                a.certReason = TlsProbe.describe(a.cert, p.handshakeFailure());
            }
        }
        // reachable: the server greeted (220); JavaMail goes on with HELO if EHLO is refused
        a.reachable = p != null && p.stage().ordinal() >= StarttlsProbeResult.Stage.EHLO.ordinal();
        a.error = p == null ? noProbe
                : a.starttls == Starttls.NOT_OFFERED ? "STARTTLS not offered"
                : a.certReason != null ? a.certReason
                : p.error();
        a.result = new MxResult(host, matched, a.starttls, a.cert,
                p == null ? null : p.tlsProtocol(), false, a.error);

        String daneCheck = null;
        boolean daneOk = false;
        if (dane != null && dane.status() == DaneHost.Status.USABLE && a.handshake) {
            // the DANE session's own check of the chain (TlsProbe.daneChecked, RFC 7672 §3)
            TlsProbe tp = TlsProbe.detached(true);
            tp.dane = dane;
            tp.daneChecked(p.tlsProtocol(), p.chain());
            Map<String, Object> ver = new LinkedHashMap<>();
            ver.put("outcome", tp.daneVerification == null ? "not_checked"
                    : tp.daneVerification.outcome().name().toLowerCase(Locale.ROOT));
            if (tp.daneVerification != null) {
                ver.put("reason", tp.daneVerification.reason());
            }
            a.daneVerification = ver;
            daneOk = tp.verdict == CertificateVerdict.VALID;
            daneCheck = daneOk ? null : tp.error != null ? tp.error : TlsProbe.describe(tp.verdict, null);
        }

        if (daneOutcome.value == null && daneOutcome.error != null) {
            // as the delivery: a host without its DANE decision is not used, never as if DANE did not apply
            a.use = false;
            a.why = "skipped: DANE: decision " + daneOutcome.error;
        } else if (session.skip != null) {
            a.use = false;
            a.why = "skipped: " + session.skip;
        } else if (session.kind == MxSession.Kind.DANE) {
            // STARTTLS required; the chain checked against usable TLSA records, or TLS alone when none is usable
            a.use = a.handshake && (dane.status() != DaneHost.Status.USABLE || daneOk);
            a.applied = dane.status() == DaneHost.Status.USABLE ? "dane" : "dane-tls-only";
            a.why = a.use ? (dane.status() == DaneHost.Status.USABLE ? "authenticated by its TLSA records (RFC 7672)"
                    : "TLS required by its unusable TLSA records (RFC 7672 §2.2), certificate not checked")
                    // worded as the delivery words a DANE host's failure ("DANE: " + why)
                    : "skipped: DANE: " + (daneCheck != null ? daneCheck : a.starttls == Starttls.NOT_OFFERED
                    ? "STARTTLS not offered" : a.error != null ? a.error : "no TLS handshake");
        } else if (session.kind == MxSession.Kind.STRICT) {
            // RFC 8461 §4.1, §4.2: only listed hosts, STARTTLS, a valid certificate for the MX name, TLS >= 1.2
            a.use = !a.result.failsEnforce() && a.reachable;
            a.applied = "mta-sts-enforce";
            a.why = a.use ? "satisfies the enforce policy" : "skipped: " + (a.error != null ? a.error : "STARTTLS not seen");
        } else {
            a.use = a.reachable;
            a.applied = decision.application == Application.OBSERVE ? "mta-sts-testing" : "none";
            a.why = a.use ? "answers SMTP" + (decision.application == Application.OBSERVE && a.result.failsEnforce()
                    ? " (would fail under enforce: " + (!matched ? MxSession.notListed(decision.policy) : a.error) + ")" : "")
                    : "not reachable: " + (a.error != null ? a.error : "no greeting");
        }
        return a;
    }

    /** What using this address means for the mail, in words (for the disagreement note). */
    private static String consequence(AddressVerdict a) {
        if (!a.use) {
            return "not used, the delivery goes on to the next address or host (" + a.why + ")";
        }
        if (a.starttls != Starttls.OFFERED) {
            return "used WITHOUT TLS (" + a.why + ")";
        }
        return "used (" + a.why + (a.cert != CertificateVerdict.VALID && a.applied != null && !a.applied.startsWith("dane")
                ? ", certificate " + a.cert.name().toLowerCase(Locale.ROOT) : "") + ")";
    }

    private static MxVerdict mxVerdict(MxTargets.Target target, Outcome<Probed> o, AttemptDecision decision,
                                       Outcome<DaneHost> daneOutcome) {
        Map<String, Object> v = new LinkedHashMap<>();
        String host = target.host();
        v.put("host", host);
        if (target.preference() >= 0) {
            v.put("preference", target.preference());
        }
        MxTargets.Target t = o.value != null ? o.value.target : target;
        if (t.addresses() != null) {
            List<String> addresses = new ArrayList<>();
            for (InetSocketAddress a : t.addresses()) {
                addresses.add(hostPort(a));
            }
            v.put("addresses", addresses);
        }
        if (t.addressError() != null) {
            v.put("address_error", t.addressError());
        }
        boolean enforce = decision.application == Application.ENFORCE;
        boolean matched = decision.policy != null && decision.policy.matchesMx(host);
        List<StarttlsProbeResult> probes = o.value == null ? List.of() : o.value.probes;
        StarttlsProbeResult p = probes.isEmpty() ? null : probes.get(0);
        if (o.value == null) {
            v.put("probe", unfinished(o));
        } else if (p == null) {
            v.put("probe", Map.of("error", "no address to connect to"));
        }

        // DANE: the host's decision as the attempt makes it; NOT_APPLICABLE is "as without DANE"
        DaneHost decided = daneOutcome.value;
        DaneHost dane = decided == null || decided.status() == DaneHost.Status.NOT_APPLICABLE ? null : decided;
        MxSession session = MxSession.of(enforce, decision.policy, matched, dane);
        String noProbe = o.value == null ? "not probed within the check's deadline" : "no address";
        AddressVerdict first = judge(host, p, noProbe, decision, matched, session, dane, daneOutcome);
        List<AddressVerdict> all = new ArrayList<>();
        // in address order; null where the probe did not finish
        List<AddressVerdict> byIndex = new ArrayList<>();
        all.add(first);
        byIndex.add(first);
        for (int i = 1; i < probes.size(); i++) {
            AddressVerdict a = probes.get(i) == null ? null
                    : judge(host, probes.get(i), noProbe, decision, matched, session, dane, daneOutcome);
            byIndex.add(a);
            if (a != null) {
                all.add(a);
            }
        }
        boolean unfinishedAddress = probes.contains(null);
        if (p != null) {
            v.put("probe", probeView(p, first.starttls));
            if (!p.chain().isEmpty() || first.cert != CertificateVerdict.NOT_CHECKED) {
                v.put("certificate", certificateView(p.chain(), first.cert, first.certReason));
            }
        }
        MxResult r = first.result;
        if (decision.policy != null) {
            Map<String, Object> sts = new LinkedHashMap<>();
            sts.put("matched", matched);
            sts.put("passes_enforce", !r.failsEnforce());
            if (r.failsEnforce()) {
                sts.put("reason", !matched ? MxSession.notListed(decision.policy) : first.error != null ? first.error
                        : "STARTTLS not seen (" + (p == null ? "not probed" : p.stage().words()) + ")");
            }
            v.put("mta_sts", sts);
        }
        if (decided != null) {
            Map<String, Object> dv = daneHostView(decided);
            if (first.daneVerification != null) {
                dv.put("verification", first.daneVerification);
            }
            v.put("dane", dv);
        } else if (daneOutcome.error != null) {
            v.put("dane", unfinished(daneOutcome));
        }

        // every probed address (the delivery tries them in this order, going on when one fails)
        AddressVerdict used = null;
        boolean agree = true;
        if (p != null) {
            List<Map<String, Object>> views = new ArrayList<>();
            for (int i = 0; i < byIndex.size(); i++) {
                AddressVerdict a = byIndex.get(i);
                if (a == null) {
                    views.add(Map.of("address", hostPort(t.addresses().get(i)),
                            "error", "not probed within the check's deadline"));
                    continue;
                }
                views.add(a.view());
                if (used == null && a.use) {
                    used = a;
                }
                agree &= a.facts().equals(first.facts());
            }
            v.put("probed_addresses", views);
            if (t.addresses().size() > probes.size()) {
                v.put("addresses_not_probed", t.addresses().size() - probes.size());
            }
        }
        boolean use = used != null;
        Map<String, Object> next = new LinkedHashMap<>();
        next.put("use", use);
        AddressVerdict shown = used != null ? used : first;
        if (shown.applied != null) {
            next.put("session", shown.applied);
        }
        next.put("reason", used == null || used == first ? shown.why
                : "at " + hostPort(used.probe.address()) + ": " + used.why);
        if (all.size() > 1) {
            next.put("addresses_agree", agree);
            if (!agree) {
                StringBuilder note = new StringBuilder("the addresses of ").append(host).append(" disagree:");
                for (AddressVerdict a : all) {
                    note.append(' ').append(hostPort(a.probe.address())).append(' ').append(consequence(a)).append(';');
                }
                note.setLength(note.length() - 1);
                next.put("disagreement", note.toString());
            }
        }
        v.put("next_attempt", next);
        return new MxVerdict(host, use, o.value != null && daneOutcome.finished && !unfinishedAddress,
                use && dane != null && dane.status() == DaneHost.Status.USABLE && "dane".equals(used.applied), v);
    }

    /** The verdict of the next attempt: which policy applies, whether it delivers and where, and why. */
    private static Map<String, Object> verdict(AttemptDecision decision, Outcome<DaneFacts> dane,
                                               Outcome<MxTargets.Hosts> hosts, List<MxVerdict> mx) {
        Map<String, Object> v = new LinkedHashMap<>();
        MxVerdict first = null;
        List<String> used = new ArrayList<>();
        for (MxVerdict m : mx) {
            if (m.use) {
                used.add(m.host);
                if (first == null) {
                    first = m;
                }
            }
        }
        String policy;
        if (first != null && first.dane) {
            policy = "dane"; // RFC 8461 §2: DANE takes precedence for a host with usable TLSA records
        } else if (decision.application == Application.ENFORCE) {
            policy = "mta-sts-enforce";
        } else if (decision.application == Application.OBSERVE) {
            policy = "mta-sts-testing";
        } else {
            policy = decision.fixedVerdict == DeliveryAttemptReport.Verdict.GATEWAY ? "gateway" : "none";
        }
        v.put("policy", policy);
        DaneDomain daneDomain = dane.value == null ? null : dane.value.decision;
        String action;
        String reason;
        if (decision.defer) {
            action = DEFER;
            reason = decision.reason();
        } else if (daneDomain == null) {
            action = UNKNOWN;
            reason = "the DANE decision did not finish within the check's deadline";
        } else if (daneDomain.defer()) {
            // RFC 7672 §2.1.1: whether DANE applies cannot be known, or it is required and missing
            action = DEFER;
            reason = "DANE (RFC 7672): " + daneDomain.detail();
        } else if (hosts.value == null) {
            action = UNKNOWN;
            reason = "the MX lookup did not finish within the check's deadline";
        } else if (hosts.value.status() == MxTargets.Hosts.Status.TEMPORARY) {
            action = DEFER;
            reason = "MX lookup failed: " + hosts.value.detail();
        } else if (hosts.value.status() == MxTargets.Hosts.Status.NONE) {
            action = FAIL;
            reason = "no MX host: " + hosts.value.detail();
        } else if (first != null) {
            action = DELIVER;
            reason = decision.reason() + daneWords(daneDomain) + "; first MX used: " + first.host;
        } else if (mx.stream().anyMatch(m -> !m.finished)) {
            action = UNKNOWN;
            reason = "no MX usable among those checked within the check's deadline";
        } else {
            action = DEFER;
            reason = decision.reason() + daneWords(daneDomain) + "; "
                    + (decision.application == Application.ENFORCE
                    ? "no MX host satisfies the policy (RFC 8461 §5: temporary failure)"
                    : daneDomain.status() == DaneDomain.Status.SECURE
                    ? "no MX host can be used under DANE (RFC 7672 §2.2: temporary failure)"
                    : "no MX host answers");
        }
        v.put("action", action);
        v.put("mx", used);
        v.put("reason", reason);
        return v;
    }

    /** "; DANE secure: ..." when DANE applies to the domain (its MX RRset is secure, or DANE is required); else "". */
    private static String daneWords(DaneDomain d) {
        if (d.status() != DaneDomain.Status.SECURE && !d.required()) {
            return "";
        }
        return "; DANE " + d.status().name().toLowerCase(Locale.ROOT) + (d.required() ? " (required)" : "")
                + ": " + d.detail();
    }

    // ------------------------------------------------------------------ views

    private static Map<String, Object> publishedView(LookupResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("result", r.kind().label());
        if (r.record() != null) {
            m.put("record", Map.of("id", r.record().id()));
        }
        if (r.policy() != null) {
            m.put("policy", policyView(r.policy()));
        }
        m.put("reason", r.reason());
        return m;
    }

    /** {@code {"mode":…,"mx":[…],"max_age":N}}, as {@code mta-sts lookup --json} shows a policy. */
    static Map<String, Object> policyView(StsPolicy p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", p.mode().text());
        List<String> mx = new ArrayList<>();
        for (MxPattern pattern : p.mx()) {
            mx.add(pattern.toString());
        }
        m.put("mx", mx);
        m.put("max_age", p.maxAgeSeconds());
        return m;
    }

    private static Map<String, Object> tlsRptView(TlsRptLookupResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("result", r.kind().name().toLowerCase(Locale.ROOT));
        if (r.record() != null) {
            List<String> rua = new ArrayList<>();
            for (TlsRptRecord.Rua u : r.record().rua()) {
                rua.add(u.uri());
            }
            m.put("rua", rua);
        }
        m.put("reason", r.reason());
        return m;
    }

    private static Map<String, Object> daneView(DaneFacts f) {
        Map<String, Object> m = daneDomainView(f.decision);
        m.put("validation", f.validation);
        if (f.mxDnssec != null) {
            Map<String, Object> fact = daneDomainView(f.mxDnssec);
            fact.remove("required");
            m.put("mx_dnssec", fact);
        }
        return m;
    }

    private static Map<String, Object> daneDomainView(DaneDomain d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", d.status().name().toLowerCase(Locale.ROOT));
        m.put("required", d.required());
        if (!d.hosts().isEmpty()) {
            m.put("hosts", new ArrayList<>(new java.util.TreeSet<>(d.hosts())));
        }
        m.put("detail", d.detail());
        return m;
    }

    private static Map<String, Object> daneHostView(DaneHost h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", h.status().name().toLowerCase(Locale.ROOT));
        if (h.failure() != null) {
            m.put("failure", h.failure().name().toLowerCase(Locale.ROOT));
        }
        if (h.tlsaBase() != null) {
            m.put("tlsa_base", h.tlsaBase());
        }
        List<String> records = h.policyStrings();
        List<Boolean> usable = h.usability();
        if (!records.isEmpty()) {
            List<Map<String, Object>> tlsa = new ArrayList<>();
            for (int i = 0; i < records.size(); i++) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("record", records.get(i));
                r.put("usable", usable.get(i));
                tlsa.add(r);
            }
            m.put("tlsa", tlsa);
        }
        m.put("detail", h.detail());
        return m;
    }

    private static Map<String, Object> probeView(StarttlsProbeResult p, Starttls starttls) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("address", hostPort(p.address()));
        m.put("stage", p.stage().name().toLowerCase(Locale.ROOT));
        m.put("connected", p.connected());
        if (p.greeting() != null) {
            m.put("greeting", p.greeting());
        }
        if (!p.ehloKeywords().isEmpty()) {
            m.put("ehlo", p.ehloKeywords());
        }
        m.put("starttls", starttls.name().toLowerCase(Locale.ROOT));
        if (p.tlsProtocol() != null) {
            m.put("tls_version", p.tlsProtocol());
            m.put("cipher", p.cipherSuite());
        }
        if (p.error() != null) {
            m.put("error", p.error());
        }
        m.put("timed_out", p.timedOut());
        m.put("elapsed_ms", p.elapsedMillis());
        return m;
    }

    private static Map<String, Object> certificateView(List<X509Certificate> chain, CertificateVerdict verdict,
                                                       String reason) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("verdict", verdict.name().toLowerCase(Locale.ROOT));
        if (reason != null) {
            m.put("reason", reason);
        }
        if (!chain.isEmpty()) {
            X509Certificate leaf = chain.get(0);
            m.put("subject", leaf.getSubjectX500Principal().getName());
            m.put("issuer", leaf.getIssuerX500Principal().getName());
            m.put("names", dnsNames(leaf));
            m.put("not_before", leaf.getNotBefore().toInstant().toString());
            m.put("not_after", leaf.getNotAfter().toInstant().toString());
            m.put("sha256", sha256(leaf));
            m.put("chain_length", chain.size());
        }
        return m;
    }

    /** The certificate's subjectAltName dNSNames (RFC 6125 DNS-IDs). */
    static List<String> dnsNames(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(2).equals(san.get(0))) {
                        names.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no readable names
        }
        return names;
    }

    private static String sha256(X509Certificate cert) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            StringBuilder sb = new StringBuilder(d.length * 2);
            for (byte b : d) {
                sb.append(String.format("%02x", b & 0xff));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            return null;
        }
    }

    private static String hostPort(InetSocketAddress a) {
        String ip = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + a.getPort();
    }

    private static Map<String, Object> unfinished(Outcome<?> o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("finished", false);
        m.put("error", o.error);
        return m;
    }

    // ------------------------------------------------------------------ plumbing

    /** A task's result, or why there is none (unfinished by the deadline, failed). */
    private static final class Outcome<T> {
        final T value;
        final boolean finished;
        final String error;

        Outcome(T value, boolean finished, String error) {
            this.value = value;
            this.finished = finished;
            this.error = error;
        }
    }

    private static <T> Outcome<T> await(Future<T> f, long end) {
        try {
            return new Outcome<>(f.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS), true, null);
        } catch (TimeoutException e) {
            f.cancel(true);
            return new Outcome<>(null, false, "not finished within the check's deadline");
        } catch (ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            return new Outcome<>(null, true, "failed: " + SafeText.of(c.toString(), 300));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            return new Outcome<>(null, false, "interrupted");
        }
    }

    private static final class Published {
        final RecordLookupResult record;
        final Memo<PolicyFetchResult> fetch;
        final LookupResult result;

        Published(RecordLookupResult record, Memo<PolicyFetchResult> fetch, LookupResult result) {
            this.record = record;
            this.fetch = fetch;
            this.result = result;
        }
    }

    private static final class Probed {
        final MxTargets.Target target;
        /** One per probed address, in the target's order (at most {@value #MAX_ADDRESSES}); null: not finished. */
        final List<StarttlsProbeResult> probes;

        Probed(MxTargets.Target target, List<StarttlsProbeResult> probes) {
            this.target = target;
            this.probes = probes;
        }
    }

    /** The policy fetch at most once: the published view and the preview share it. */
    private static final class Memo<T> implements Supplier<T> {
        private final Callable<T> source;
        private T value;
        private boolean done;

        Memo(Callable<T> source) {
            this.source = source;
        }

        @Override
        public synchronized T get() {
            if (!done) {
                try {
                    value = source.call();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                done = true;
            }
            return value;
        }
    }
}

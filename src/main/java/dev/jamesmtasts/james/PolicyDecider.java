package dev.jamesmtasts.james;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.cache.PolicyProvider;
import dev.jamesmtasts.james.AttemptContext.Application;
import dev.jamesmtasts.james.DeliveryAttemptReport.PolicyOrigin;
import dev.jamesmtasts.james.DeliveryAttemptReport.PublishedPolicy;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.james.MtaStsMailetSettings.DomainOverride;
import dev.jamesmtasts.james.MtaStsMailetSettings.Mode;
import dev.jamesmtasts.james.MtaStsMailetSettings.OnLookupError;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * The per-attempt MTA-STS decision of {@link MtaStsRemoteDelivery}, as a pure function of the
 * mailet's settings (gateway, {@code mtaStsMode}, {@code mtaStsOverrides},
 * {@code mtaStsOnLookupError}) and the policy cache's answer for the recipient domain:
 * <ul>
 *   <li>gateway delivery: MTA-STS does not apply (a smarthost is not an MX, RFC 8461 §4);</li>
 *   <li>a TLS-RPT report mail of this server (marked by {@link TlsRptListener#isTlsReport}, the attribute our
 *       own pipeline sets, never a header a user could forge): delivered without MTA-STS or DANE enforcement,
 *       STARTTLS opportunistic as RemoteDelivery does (RFC 8460 §3: reports must not be blocked by the TLS
 *       failures they report; RFC 8689 §4.2.2 {@code TLS-Required: No}), whatever the mode and overrides;</li>
 *   <li>{@code mtaStsMode=off} or a {@code domain=off} override: no policy;</li>
 *   <li>a local policy override: applied instead of the published one (as testing under
 *       {@code mtaStsMode=report});</li>
 *   <li>otherwise the cache's answer: a published {@code enforce} policy is enforced unless
 *       {@code mtaStsMode=report} or a {@code domain=testing} override downgrades it; {@code testing}
 *       is observed; {@code none}, no policy, not found and fetch backoff deliver as without
 *       MTA-STS (RFC 8461 §3.3, §5); a failed lookup with nothing cached defers or delivers as
 *       {@code mtaStsOnLookupError} says; a lookup cut short by this node's own bounds (the cap on
 *       concurrent first lookups, the flight time-out) always defers.</li>
 * </ul>
 * The cache is asked only when its answer matters. Everything that does not depend on the answer
 * (decisions of off and local overrides, reason texts) is built here once; {@link #decide} builds
 * no string. Thread-safe (immutable).
 */
final class PolicyDecider {
    private static final AttemptDecision GATEWAY = AttemptDecision.none(Verdict.GATEWAY,
            "gateway delivery, MTA-STS does not apply", null);
    private static final AttemptDecision TLS_NOT_REQUIRED = AttemptDecision.none(Verdict.TLS_NOT_REQUIRED,
            "TLS-RPT report mail (RFC 8460 §3, TLS-Required: No): MTA-STS and DANE not enforced, STARTTLS "
                    + "opportunistic", null);
    private static final String BOUND_TAIL = ", deferred (a local bound, whatever mtaStsOnLookupError says)";
    private static final AttemptDecision MODE_OFF = AttemptDecision.none(Verdict.NO_POLICY, "mtaStsMode=off", null);

    private final boolean gateway;
    private final Mode mode;
    private final boolean reportOnly;
    private final Map<String, DomainOverride> overrides;
    /** The decision of each {@code off} or local-policy override, by normalized domain. */
    private final Map<String, AttemptDecision> fixedByOverride = new HashMap<>();
    /** "published MODE policy[ applied as testing (why)] (" by policy mode, as published. */
    private final Map<StsPolicy.Mode, String> publishedHead = new EnumMap<>(StsPolicy.Mode.class);
    /** The same for a published enforce policy downgraded by a {@code domain=testing} override. */
    private final String publishedEnforceAsTestingByOverride;
    private final boolean deferOnError;
    private final String errorTail;

    /**
     * @param overrides the {@code mtaStsOverrides} by normalized domain
     * @param gateway   true when the mailet delivers through a smarthost
     */
    PolicyDecider(Mode mode, OnLookupError onLookupError, Map<String, DomainOverride> overrides, boolean gateway) {
        this.mode = mode;
        this.reportOnly = mode == Mode.REPORT;
        this.overrides = Map.copyOf(overrides);
        this.gateway = gateway;
        for (Map.Entry<String, DomainOverride> e : this.overrides.entrySet()) {
            DomainOverride o = e.getValue();
            if (o.kind == DomainOverride.Kind.OFF) {
                fixedByOverride.put(e.getKey(), AttemptDecision.none(Verdict.NO_POLICY,
                        "override " + e.getKey() + "=off", null));
            } else if (o.localPolicy != null) {
                boolean enforce = o.localPolicy.mode() == StsPolicy.Mode.ENFORCE && !reportOnly;
                fixedByOverride.put(e.getKey(), new AttemptDecision(enforce ? Application.ENFORCE : Application.OBSERVE,
                        o.localPolicy, PolicyOrigin.LOCAL_OVERRIDE, null, null, false,
                        "local override " + o + (reportOnly ? " (mtaStsMode=report)" : ""), null, null));
            }
        }
        for (StsPolicy.Mode m : StsPolicy.Mode.values()) {
            publishedHead.put(m, "published " + m.text() + " policy"
                    + (m == StsPolicy.Mode.ENFORCE && reportOnly ? " applied as testing (mtaStsMode=report)" : "") + " (");
        }
        publishedEnforceAsTestingByOverride = reportOnly ? publishedHead.get(StsPolicy.Mode.ENFORCE)
                : "published " + StsPolicy.Mode.ENFORCE.text() + " policy applied as testing (override) (";
        this.deferOnError = onLookupError == OnLookupError.DEFER;
        this.errorTail = deferOnError ? ", deferred (mtaStsOnLookupError=defer)"
                : ", delivered without policy (mtaStsOnLookupError=deliver)";
    }

    static PolicyDecider of(MtaStsMailetSettings settings, boolean gateway) {
        return new PolicyDecider(settings.mode, settings.onLookupError, settings.overrides, gateway);
    }

    /** The decision for one attempt to deliver an ordinary mail (not a TLS-RPT report) to {@code domain}. */
    AttemptDecision decide(String domain, PolicyProvider provider) {
        return decide(domain, provider, false);
    }

    /**
     * The decision for one attempt to deliver to {@code domain} (as written in the recipient address);
     * {@code tlsReport}: the mail is a TLS-RPT report of this server ({@link TlsRptListener#isTlsReport}).
     */
    AttemptDecision decide(String domain, PolicyProvider provider, boolean tlsReport) {
        if (gateway) {
            return GATEWAY;
        }
        if (tlsReport) {
            return TLS_NOT_REQUIRED;
        }
        if (mode == Mode.OFF) {
            return MODE_OFF;
        }
        boolean testingOverride = false;
        if (!overrides.isEmpty()) {
            DomainOverride override = MtaStsMailetSettings.overrideFor(overrides, domain);
            if (override != null) {
                AttemptDecision fixed = fixedByOverride.get(override.domain);
                if (fixed != null) {
                    return fixed;
                }
                testingOverride = override.kind == DomainOverride.Kind.TESTING;
            }
        }
        return fromAnswer(ask(provider, domain), testingOverride);
    }

    private static CacheResult ask(PolicyProvider provider, String domain) {
        CacheResult r;
        try {
            r = provider.get(domain);
        } catch (RuntimeException e) {
            return CacheResult.error("policy provider failed: " + SafeText.of(e.toString()));
        }
        return r != null ? r : CacheResult.error("policy provider returned nothing");
    }

    /** The decision for the cache's answer {@code r}; {@code testingOverride}: a {@code domain=testing} override applies. */
    AttemptDecision fromAnswer(CacheResult r, boolean testingOverride) {
        AttemptDecision d = decisionFor(r, testingOverride);
        return d.published(published(r), r.fetchFailure());
    }

    /**
     * What the cache's answer says of the domain's published policy, for TLS-RPT (RFC 8460 §4.4
     * policy-type): a policy to apply, none published (no record, mode none: RFC 8461 §5), a record whose
     * policy could not be fetched (RFC 8461 §3.3 backoff), or nothing known.
     */
    static PublishedPolicy published(CacheResult r) {
        switch (r.outcome()) {
            case OK:
                return r.policy() == null || r.policy().mode() == StsPolicy.Mode.NONE ? PublishedPolicy.NONE
                        : PublishedPolicy.APPLIED;
            case NOT_FOUND:
                return PublishedPolicy.NONE;
            case BACKOFF:
                return PublishedPolicy.FETCH_FAILED;
            case ERROR:
            default:
                return PublishedPolicy.UNKNOWN;
        }
    }

    private AttemptDecision decisionFor(CacheResult r, boolean testingOverride) {
        StsPolicy p = r.policy();
        switch (r.outcome()) {
            case OK:
                if (p == null) {
                    return AttemptDecision.none(Verdict.NO_POLICY, "no policy: ", r.reason());
                }
                if (p.mode() == StsPolicy.Mode.NONE) {
                    return new AttemptDecision(Application.NONE, p, PolicyOrigin.PUBLISHED, r.recordId(),
                            Verdict.NO_POLICY, false, "policy mode none", null, null);
                }
                boolean enforcePolicy = p.mode() == StsPolicy.Mode.ENFORCE;
                boolean enforce = enforcePolicy && !reportOnly && !testingOverride;
                String head = enforcePolicy && testingOverride ? publishedEnforceAsTestingByOverride
                        : publishedHead.get(p.mode());
                return new AttemptDecision(enforce ? Application.ENFORCE : Application.OBSERVE, p,
                        PolicyOrigin.PUBLISHED, r.recordId(), null, false, head, r.reason(), ")");
            case NOT_FOUND:
                return AttemptDecision.none(Verdict.NO_POLICY, "not_found: ", r.reason());
            case BACKOFF:
                return AttemptDecision.none(Verdict.NO_POLICY, "backoff: ", r.reason());
            case ERROR:
            default:
                if (r.bound() != CacheResult.Bound.NONE) {
                    // Not a failed lookup but this node's own bound (cache.maxConcurrentLookups, the flight
                    // time-out): always deferred, whatever mtaStsOnLookupError says, so that a burst of slow
                    // or hostile new domains cannot make mail to other new domains go out without the
                    // policy they may publish. The lookup goes on or gets its turn; the retry finds it.
                    return new AttemptDecision(Application.NONE, null, PolicyOrigin.NONE, null, Verdict.LOOKUP_ERROR,
                            true, "policy lookup not finished: ", r.reason(), BOUND_TAIL);
                }
                return new AttemptDecision(Application.NONE, null, PolicyOrigin.NONE, null, Verdict.LOOKUP_ERROR,
                        deferOnError, "policy lookup failed: ", r.reason(), errorTail);
        }
    }
}

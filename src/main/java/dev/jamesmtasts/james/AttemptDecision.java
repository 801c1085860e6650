package dev.jamesmtasts.james;

import dev.jamesmtasts.james.AttemptContext.Application;
import dev.jamesmtasts.james.DeliveryAttemptReport.PolicyOrigin;
import dev.jamesmtasts.james.DeliveryAttemptReport.PublishedPolicy;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.mtasts.FetchFailure;
import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * What {@link PolicyDecider} decided for one delivery attempt: how the policy (if any) is applied,
 * where it came from, and why. Immutable.
 *
 * <p>The reason is kept in parts (a constant head, the cache's own reason, a constant tail) and
 * joined only when read, after the attempt: the decision itself, which James times as
 * {@code mtaSts.policyCheck}, builds no string.
 */
final class AttemptDecision {
    final Application application;
    /** The policy applied or observed, or null. */
    final StsPolicy policy;
    final PolicyOrigin origin;
    /** The TXT record id of a published policy, or null. */
    final String policyId;
    /** The verdict known before delivering (no policy, gateway, lookup error), or null. */
    final Verdict fixedVerdict;
    /** True when the attempt is deferred without connecting (lookup error, {@code mtaStsOnLookupError=defer}). */
    final boolean defer;
    /** What the published policy's lookup came to ({@link PublishedPolicy#NOT_CONSULTED} unless the cache was asked). */
    final PublishedPolicy published;
    /** How the policy fetch behind the cache's answer failed, or null. */
    final FetchFailure fetchFailure;
    private final String reasonHead;
    private final String reasonDetail;
    private final String reasonTail;

    AttemptDecision(Application application, StsPolicy policy, PolicyOrigin origin, String policyId,
                    Verdict fixedVerdict, boolean defer, String reasonHead, String reasonDetail, String reasonTail) {
        this(application, policy, origin, policyId, fixedVerdict, defer, reasonHead, reasonDetail, reasonTail,
                PublishedPolicy.NOT_CONSULTED, null);
    }

    private AttemptDecision(Application application, StsPolicy policy, PolicyOrigin origin, String policyId,
                            Verdict fixedVerdict, boolean defer, String reasonHead, String reasonDetail,
                            String reasonTail, PublishedPolicy published, FetchFailure fetchFailure) {
        this.published = published;
        this.fetchFailure = fetchFailure;
        this.application = application;
        this.policy = policy;
        this.origin = origin;
        this.policyId = policyId;
        this.fixedVerdict = fixedVerdict;
        this.defer = defer;
        this.reasonHead = reasonHead;
        this.reasonDetail = reasonDetail;
        this.reasonTail = reasonTail;
    }

    /**
     * No policy applies: deliver as RemoteDelivery does. The reason is {@code head} alone when
     * {@code detail} is null (a constant decision), else {@code head + detail}.
     */
    static AttemptDecision none(Verdict verdict, String reasonHead, String reasonDetail) {
        return new AttemptDecision(Application.NONE, null, PolicyOrigin.NONE, null, verdict, false, reasonHead,
                reasonDetail, reasonDetail == null ? null : "");
    }

    /** This decision, taken on the cache's answer: what the published policy's lookup came to. */
    AttemptDecision published(PublishedPolicy what, FetchFailure failure) {
        return new AttemptDecision(application, policy, origin, policyId, fixedVerdict, defer, reasonHead, reasonDetail,
                reasonTail, what, failure);
    }

    /**
     * True when the attempt is made without MTA-STS or DANE enforcement because the mail is a TLS-RPT report
     * of this server ({@link Verdict#TLS_NOT_REQUIRED}): the DANE decision is not taken either.
     */
    boolean tlsNotRequired() {
        return fixedVerdict == Verdict.TLS_NOT_REQUIRED;
    }

    /** Why, in words (the report's reason): the head alone when there is no tail, else head + detail + tail. */
    String reason() {
        return reasonTail == null ? reasonHead : reasonHead + reasonDetail + reasonTail;
    }

    @Override
    public String toString() {
        return application + " " + origin + (fixedVerdict == null ? "" : " " + fixedVerdict)
                + (defer ? " defer" : "") + ": " + reason();
    }
}

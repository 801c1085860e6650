package dev.jamesmtasts.james;

import java.util.ArrayList;
import java.util.List;

import dev.jamesmtasts.dane.DaneDomain;
import dev.jamesmtasts.dane.DaneHost;
import dev.jamesmtasts.dane.DanePolicy;
import dev.jamesmtasts.james.DeliveryAttemptReport.MxResult;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * The MTA-STS state of the delivery attempt running on this thread: which policy applies and how,
 * and the per-MX results gathered so far. Set by {@link MtaStsRemoteDelivery} around
 * {@code MailDelivrer.deliver}, read by {@link PolicyAwareMailDelivrerToHost} for each MX host
 * (James's MailDelivrer calls it synchronously on the same thread).
 */
final class AttemptContext {
    /** How the policy is applied to this attempt. */
    enum Application {
        /** RFC 8461 §5: enforce: skip hosts that do not satisfy the policy. */
        ENFORCE,
        /** RFC 8461 §5: testing (or report mode): deliver as usual, record what would fail. */
        OBSERVE,
        /** No policy applies: deliver as usual, record what happened. */
        NONE
    }

    /** How many MX hosts a failure summary names. */
    static final int SUMMARY_HOSTS = 5;
    private static final ThreadLocal<AttemptContext> CURRENT = new ThreadLocal<>();

    final Application application;
    final StsPolicy policy;
    /** The DANE rules of the attempt (RFC 7672): what the domain's MX lookup said, or off. */
    final DaneDomain dane;
    private final DanePolicy danePolicy;
    final List<MxResult> results = new ArrayList<>(2);

    AttemptContext(Application application, StsPolicy policy) {
        this(application, policy, DaneDomain.off("-", "dane=off"), null);
    }

    /** @param danePolicy the decision for each MX host; null when DANE is not used by this mailet */
    AttemptContext(Application application, StsPolicy policy, DaneDomain dane, DanePolicy danePolicy) {
        this.application = application;
        this.policy = policy;
        this.dane = dane;
        this.danePolicy = danePolicy;
    }

    /**
     * What DANE asks of the session with {@code host} (RFC 7672 §2.2): looked up only when the domain's MX
     * RRset is secure or DANE is required; otherwise not applicable, at no cost.
     */
    DaneHost daneHost(String host) {
        DaneHost h = daneDecision(host);
        return h == null || h.status() == DaneHost.Status.NOT_APPLICABLE ? null : h;
    }

    /** {@link #daneHost}'s decision as made, NOT_APPLICABLE included (with its reason); null when none is made. */
    DaneHost daneDecision(String host) {
        if (danePolicy == null || (dane.status() != DaneDomain.Status.SECURE && !dane.required())) {
            return null;
        }
        return danePolicy.host(dane, host);
    }

    static AttemptContext current() {
        return CURRENT.get();
    }

    void enter() {
        CURRENT.set(this);
    }

    static void exit() {
        CURRENT.remove();
    }

    boolean anySkipped() {
        for (MxResult r : results) {
            if (!r.delivered() && r.error() != null) {
                return true;
            }
        }
        return false;
    }

    boolean anyWouldFail() {
        for (MxResult r : results) {
            if (r.failsEnforce()) {
                return true;
            }
        }
        return false;
    }

    /**
     * "host: reason; host: reason" over the hosts that failed, at most {@value #SUMMARY_HOSTS} of them
     * then "and N more": a domain with hundreds of MX records cannot make one reason (log line,
     * bounce) list them all. Each reason was escaped and capped where it was built.
     */
    String failureSummary() {
        List<String> failed = new ArrayList<>(results.size());
        for (MxResult r : results) {
            if (r.error() != null) {
                failed.add(r.host() + ": " + r.error());
            }
        }
        return SafeText.list(failed, SUMMARY_HOSTS, "; ");
    }
}

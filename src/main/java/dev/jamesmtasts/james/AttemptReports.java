package dev.jamesmtasts.james;

import java.time.Instant;
import java.util.Locale;

import org.apache.james.transport.mailets.remote.delivery.ExecutionResult;

import dev.jamesmtasts.james.AttemptContext.Application;
import dev.jamesmtasts.james.DeliveryAttemptReport.DeliveryOutcome;
import dev.jamesmtasts.james.DeliveryAttemptReport.MxResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.Starttls;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;

/**
 * Builds the {@link DeliveryAttemptReport} of one attempt from the decision taken before it, what
 * the MX hosts did ({@link AttemptContext}) and James's result: the verdict, and the reason
 * completed with what failed (under enforce) or what would have failed (testing, RFC 8461 §5).
 */
final class AttemptReports {
    private AttemptReports() {
    }

    static DeliveryAttemptReport build(String mailName, String domain, int attemptNumber, AttemptDecision d,
                                       AttemptContext context, ExecutionResult result) {
        DeliveryOutcome outcome = outcome(result);
        Verdict verdict;
        String reason = d.reason();
        if (d.fixedVerdict != null) {
            verdict = d.fixedVerdict;
        } else if (d.application == Application.ENFORCE) {
            verdict = outcome == DeliveryOutcome.DELIVERED ? Verdict.ENFORCED_DELIVERED
                    : outcome == DeliveryOutcome.TEMPORARY_FAILURE ? Verdict.ENFORCED_DEFERRED : Verdict.ENFORCED_FAILED;
            if (outcome != DeliveryOutcome.DELIVERED && context.anySkipped()) {
                reason = reason + "; " + context.failureSummary();
            }
        } else {
            verdict = context.anyWouldFail() ? Verdict.TESTING_WOULD_FAIL : Verdict.TESTING_OK;
            if (verdict == Verdict.TESTING_WOULD_FAIL) {
                reason = reason + "; would fail under enforce: " + wouldFailSummary(context);
            }
        }
        return new DeliveryAttemptReport(Instant.now(), mailName, domain, attemptNumber, verdict, d.origin,
                d.policy == null ? null : d.policy.mode().text(), d.policyId,
                d.policy == null ? null : d.policy.text(), reason, outcome, context.results);
    }

    static DeliveryOutcome outcome(ExecutionResult result) {
        return result.getExecutionState() == ExecutionResult.ExecutionState.SUCCESS ? DeliveryOutcome.DELIVERED
                : result.isPermanent() ? DeliveryOutcome.PERMANENT_FAILURE : DeliveryOutcome.TEMPORARY_FAILURE;
    }

    /** "host: why; host: why" over the hosts used that would fail an enforce policy (RFC 8461 §4.1, §4.2). */
    static String wouldFailSummary(AttemptContext context) {
        StringBuilder sb = new StringBuilder();
        for (MxResult r : context.results) {
            if (r.failsEnforce()) {
                sb.append(sb.length() == 0 ? "" : "; ").append(r.host()).append(": ");
                if (!r.matched()) {
                    sb.append("not in the policy's mx list");
                } else if (r.starttls() != Starttls.OFFERED) {
                    sb.append(r.starttls() == Starttls.NOT_OFFERED
                            ? "STARTTLS not offered" : "STARTTLS not attempted (startTLS=false)");
                } else {
                    sb.append("certificate ").append(r.certificate().name().toLowerCase(Locale.ROOT));
                }
            }
        }
        return sb.toString();
    }
}

package dev.jamesmtasts.james;

import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.function.Supplier;

import javax.mail.MessagingException;

import org.apache.james.queue.api.MailPrioritySupport;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.transport.mailets.remote.delivery.Bouncer;
import org.apache.james.transport.mailets.remote.delivery.Delay;
import org.apache.james.transport.mailets.remote.delivery.DeliveryRetriesHelper;
import org.apache.james.transport.mailets.remote.delivery.ExecutionResult;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.mtasts.SafeText;

/**
 * What follows a failed attempt, as James 3.8.1's {@code DeliveryRunnable} does it
 * ({@code handleTemporaryFailure}/{@code handlePermanentFailure}, which are private there): the
 * retry count in James's own attribute ({@link DeliveryRetriesHelper}), the next delay from the
 * configured {@code delayTime} list and, past its end, James's {@link Delay#DEFAULT_DELAY_TIME};
 * after {@code maxRetries} a bounce through James's {@link Bouncer}. Only the bounce text differs:
 * it says why in words, with the per-MX MTA-STS reasons under enforce.
 */
final class RetryOrBounce {
    private static final Logger LOGGER = LoggerFactory.getLogger(RetryOrBounce.class);

    /** Set on a mail given its one extra attempt because its policy changed before the final bounce. */
    static final AttributeName FINAL_RECHECK = AttributeName.of("dev.jamesmtasts.policyRecheckedBeforeBounce");

    private final RemoteDeliveryConfiguration configuration;
    private final MailQueue queue;
    private final Bouncer bouncer;

    RetryOrBounce(RemoteDeliveryConfiguration configuration, MailQueue queue, Bouncer bouncer) {
        this.configuration = configuration;
        this.queue = queue;
        this.bouncer = bouncer;
    }

    void permanentFailure(Mail mail, ExecutionResult result) {
        mail.setAttribute(new Attribute(Bouncer.IS_DELIVERY_PERMANENT_ERROR, AttributeValue.of(true)));
        bouncer.bounce(mail, result.getException().orElse(null));
    }

    /**
     * @param policyRecheck asked once before a mail that failed under an enforce policy is bounced:
     *                      what changed in the domain's policy since the attempt (null: nothing)
     */
    void temporaryFailure(Mail mail, ExecutionResult result, DeliveryAttemptReport report, AttemptDecision decision,
                          AttemptContext context, Supplier<String> policyRecheck) throws MailQueue.MailQueueException {
        if (!Mail.ERROR.equals(mail.getState())) {
            mail.setState(Mail.ERROR);
            DeliveryRetriesHelper.initRetries(mail);
            mail.setLastUpdated(new Date());
        }
        mail.setAttribute(new Attribute(Bouncer.IS_DELIVERY_PERMANENT_ERROR, AttributeValue.of(false)));
        int retries = DeliveryRetriesHelper.retrieveRetries(mail);
        if (retries < configuration.getMaxRetries()) {
            DeliveryRetriesHelper.incrementRetries(mail);
            mail.setLastUpdated(new Date());
            if (configuration.isUsePriority()) {
                mail.setAttribute(MailPrioritySupport.LOW_PRIORITY_ATTRIBUTE);
            }
            queue.enQueue(mail, nextDelay(configuration.getDelayTimes(), retries + 1));
            return;
        }
        if (report.verdict() == Verdict.ENFORCED_DEFERRED && mail.getAttribute(FINAL_RECHECK).isEmpty()) {
            // The policy may have changed since the attempt was decided (a new id, a new mx list, or
            // no policy any more, RFC 8461 §3.1, §3.3): one more attempt under the policy in force now
            // rather than a bounce for a policy the domain no longer publishes. Bounded to once.
            String change = policyRecheck.get();
            if (change != null) {
                mail.setAttribute(new Attribute(FINAL_RECHECK, AttributeValue.of(true)));
                LOGGER.info("Not bouncing {} after {} retries: the MTA-STS policy of {} changed ({}); one more attempt",
                        mail.getName(), retries, report.domain(), change);
                queue.enQueue(mail);
                return;
            }
        }
        MessagingException bounce = bounceReason(report, decision, context, retries, result);
        LOGGER.info("Bouncing {} after {} retries: {}", mail.getName(), retries, bounce.getMessage());
        bouncer.bounce(mail, bounce);
    }

    private static MessagingException bounceReason(DeliveryAttemptReport report, AttemptDecision decision,
                                                   AttemptContext context, int retries, ExecutionResult result) {
        String domain = report.domain();
        if (report.verdict() == Verdict.ENFORCED_DEFERRED && context.anySkipped()) {
            return new MessagingException("Delivery to " + domain + " was refused by this server because the "
                    + "domain's MTA-STS policy (RFC 8461, mode enforce, mx ["
                    + SafeText.list(decision.policy.mx(), SafeText.LIST_MAX) + "]) could not be satisfied after "
                    + (retries + 1) + " attempts: no MX host accepted the "
                    + "mail over a verified TLS connection. Per MX host: " + context.failureSummary());
        }
        if (report.daneVerdict() == DeliveryAttemptReport.DaneVerdict.DEFERRED) {
            return new MessagingException("Delivery to " + domain + " was refused by this server because DANE "
                    + "(RFC 7672) could not be satisfied after " + (retries + 1) + " attempts: "
                    + (context.dane.defer() ? context.dane.detail()
                            : "no MX host accepted the mail over a TLS connection its TLSA records authenticate. "
                            + "Per MX host: " + context.failureSummary()));
        }
        if (report.verdict() == Verdict.LOOKUP_ERROR) {
            return new MessagingException("Delivery to " + domain + " was deferred " + (retries + 1)
                    + " times because its MTA-STS policy could not be looked up: " + decision.reason());
        }
        Exception cause = result.getException().orElse(null);
        return new MessagingException("Too many retries failure. Bouncing after " + retries + " retries. "
                + (cause == null || cause.getMessage() == null ? ""
                        : SafeText.display(cause.getMessage(), PolicyAwareMailDelivrerToHost.SMTP_REPLY_MAX)));
    }

    /** DeliveryRunnable.getNextDelay of James 3.8.1: the n-th configured delay, then James's default. */
    static Duration nextDelay(List<Duration> delays, int retryCount) {
        if (retryCount > delays.size()) {
            return Delay.DEFAULT_DELAY_TIME;
        }
        return delays.get(retryCount - 1);
    }
}

package dev.jamesmtasts.james;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.TimeMetric;
import org.apache.james.queue.api.MailPrioritySupport;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.transport.mailets.remote.delivery.Bouncer;
import org.apache.james.transport.mailets.remote.delivery.DeliveryRetriesHelper;
import org.apache.james.transport.mailets.remote.delivery.ExecutionResult;
import org.apache.james.transport.mailets.remote.delivery.MailDelivrer;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.ProcessingState;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.cache.PolicyProvider;
import dev.jamesmtasts.james.AttemptContext.Application;
import dev.jamesmtasts.james.DeliveryAttemptReport.Outcome;
import dev.jamesmtasts.james.DeliveryAttemptReport.PolicySource;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.mtasts.StsPolicy;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A drop-in replacement for James's {@code RemoteDelivery} that enforces outbound MTA-STS
 * (RFC 8461). Swap the class name in {@code mailetcontainer.xml}
 * ({@code class="dev.jamesmtasts.james.MtaStsRemoteDelivery"}); every RemoteDelivery parameter keeps
 * its meaning and default, and mail to domains without a policy is delivered exactly as
 * RemoteDelivery delivers it (same queue, same MX walk, same JavaMail sessions, same retries and
 * bounces). The extension module ({@link MtaStsModule}) must be loaded so that the policy cache can
 * be injected.
 *
 * <h3>RemoteDelivery parameters (same meaning and defaults as James 3.8.1)</h3>
 * <ul>
 * <li><b>outgoing</b>: name of the mail queue holding mail being delivered. Default {@code outgoing}.</li>
 * <li><b>delayTime</b>: comma-separated {@code [attempts*]delay [unit]} list of retry delays (units
 *     msec, sec, minute, hour, day; default msec). Default one attempt after 6 hours.</li>
 * <li><b>maxRetries</b>: number of retries before a temporary failure becomes a bounce. Default: the
 *     greater of 5 and the attempts of {@code delayTime}.</li>
 * <li><b>maxDnsProblemRetries</b>: retries when the domain has no MX/A record. Default 0.</li>
 * <li><b>timeout</b> / <b>connectiontimeout</b>: socket I/O and connect timeouts in ms. Defaults
 *     180000 / 60000.</li>
 * <li><b>bounceProcessor</b>: processor receiving undeliverable mail for DSN processing; default is
 *     a plain bounce message through the mailet context.</li>
 * <li><b>onSuccess</b>: processor receiving successfully delivered mail.</li>
 * <li><b>startTLS</b> (default false), <b>sslEnable</b> (default false), <b>verifyServerIdentity</b>
 *     (default true): TLS for deliveries without an enforce policy, as in RemoteDelivery. Under an
 *     enforce policy STARTTLS and server identity are always required whatever these say.</li>
 * <li><b>gateway</b>, <b>gatewayPort</b>, <b>gatewayUsername</b>, <b>gatewayPassword</b>,
 *     <b>loadBalancing</b>: smarthost delivery. MTA-STS does not apply to it (it is not an MX
 *     delivery); this is logged once.</li>
 * <li><b>heloName</b>, <b>bind</b>, <b>sendpartial</b>, <b>usePriority</b>, <b>debug</b>: as in
 *     RemoteDelivery.</li>
 * <li><b>deliveryThreads</b>: the number of mails delivered concurrently (RemoteDelivery 3.8.1
 *     ignores it and uses 256). Default 20.</li>
 * <li><b>mail.*</b>: JavaMail properties, overriding the mailet's. Under an enforce policy,
 *     {@code mail.smtp.ssl.trust}/{@code mail.smtps.ssl.trust}, any other socket factory and
 *     anything that would weaken STARTTLS or identity checks are not in effect.</li>
 * </ul>
 *
 * <h3>MTA-STS parameters</h3>
 * <ul>
 * <li><b>mtaStsMode</b>: {@code follow} (default) applies published policies as published;
 *     {@code report} treats every policy as {@code testing} (deliver as usual, log and count what
 *     would fail); {@code off} never looks policies up.</li>
 * <li><b>mtaStsOverrides</b>: per-domain overrides, entries separated by {@code ;} or new lines:
 *     {@code domain=off} (ignore the domain's policy), {@code domain=testing} (apply its published
 *     policy as testing), {@code domain=testing:mx1,*.mx.domain} or
 *     {@code domain=enforce:mx1.domain,*.mx.domain} (a locally defined policy with these
 *     RFC 8461 §3.2 mx patterns, used instead of whatever the domain publishes, like Postfix TLS
 *     policy maps). Example:
 *     {@code <mtaStsOverrides>example.com=off; other.example=enforce:mx1.other.example,*.mx.other.example</mtaStsOverrides>}.
 *     {@code mtaStsMode=report} also downgrades local enforce overrides to testing;
 *     {@code mtaStsMode=off} disables them.</li>
 * <li><b>mtaStsOnLookupError</b>: what to do when the policy lookup fails with nothing cached (a
 *     temporary DNS error, a store outage): {@code defer} (default: temporary failure, retried on
 *     the usual schedule) or {@code deliver} (deliver as without a policy).</li>
 * <li><b>mtaStsTrustStore</b>, <b>mtaStsTrustStorePassword</b>, <b>mtaStsTrustStoreType</b>
 *     (default PKCS12): the CAs trusted for SMTP STARTTLS certificates (PKIX, RFC 8461 §4.2).
 *     Empty: the JVM's default trust store ({@code javax.net.ssl.trustStore} or cacerts). Shared by
 *     every instance of this mailet in the JVM.</li>
 * </ul>
 * A wrong value fails the mailet's init with a message naming the parameter.
 *
 * <h3>What happens on each attempt (checklist §6)</h3>
 * Every attempt (the first and each retry) asks the {@link PolicyProvider} again, so a policy that
 * changed between two attempts is honoured.
 * <ul>
 * <li>{@code enforce}: only MX hosts matching the policy (RFC 8461 §4.1) are tried, each with
 *     STARTTLS required, connection by host name, SNI and certificate check against the MX name,
 *     TLS 1.2+ (§4.2). A host that fails is skipped; none left is a temporary failure. After the
 *     last retry the bounce says that the domain's MTA-STS policy could not be satisfied and why,
 *     host by host.</li>
 * <li>{@code testing}: delivered as usual. Detection of "would have failed" is free of extra
 *     connections: MX matching is computed, and the TLS outcome is what the normal session saw
 *     (observed by {@link ObservingSslSocketFactory}). With {@code startTLS=false} no TLS is tried,
 *     so every testing delivery is counted as would-fail (STARTTLS unknown): enable startTLS for
 *     meaningful testing reports.</li>
 * <li>{@code none}, no policy, fetch backoff, or gateway delivery: as RemoteDelivery.</li>
 * </ul>
 * Each attempt produces one {@link DeliveryAttemptReport}, logged at INFO in one line, counted in
 * {@link MtaStsMetrics} and handed to every bound {@link DeliveryAttemptListener}.
 *
 * <h3>Where it differs from RemoteDelivery</h3>
 * <ul>
 * <li>When JavaMail connects by MX host name (STARTTLS with identity check, and always under
 *     enforce), the TCP connection goes to the address James's DNSService resolved for the MX
 *     ({@link PinningSocketFactory}); RemoteDelivery lets the JVM resolver resolve the name again.</li>
 * <li>Unless the administrator set {@code mail.smtp.ssl.trust} or their own SSL socket factory,
 *     STARTTLS sessions use {@link ObservingSslSocketFactory} with the {@code mtaStsTrustStore}
 *     (default: the JVM trust store, as RemoteDelivery).</li>
 * <li>Under enforce, any failure before the SMTP transaction (connect, STARTTLS, certificate,
 *     greeting) skips to the next matching MX; RemoteDelivery stops the MX walk on a
 *     non-I/O failure such as "STARTTLS required but not offered".</li>
 * <li>{@code deliveryThreads} bounds concurrent deliveries (RemoteDelivery 3.8.1 ignores it).</li>
 * <li>The bounce after the last retry carries the last error in words (RemoteDelivery's carries
 *     none, see JAMES bounces with an empty error), and under enforce the per-MX MTA-STS reasons.</li>
 * </ul>
 */
public class MtaStsRemoteDelivery extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(MtaStsRemoteDelivery.class);
    private static final AtomicBoolean GATEWAY_LOGGED = new AtomicBoolean();
    /** Same metric names as RemoteDelivery, so existing dashboards keep working. */
    static final String OUTGOING_MAILS = "outgoingMails";
    static final String DELIVERY_TRIAL = "RemoteDeliveryTrial";
    /**
     * Timer of each attempt's MTA-STS decision (policy cache lookup, overrides, mode): the time MTA-STS
     * adds to an attempt before the first connection. {@code bin/demo --bench} reads its quantiles.
     */
    static final String POLICY_CHECK = "mtaSts.policyCheck";
    static final String NAME_JUNCTION = "-to-";
    static final String SOCKET_FACTORY_CLASS = "mail.smtp.ssl.socketFactory.class";
    static final String PLAIN_SOCKET_FACTORY_CLASS = "mail.smtp.socketFactory.class";

    private final DNSService dnsService;
    private final DomainList domainList;
    private final MailQueueFactory<?> queueFactory;
    private final MetricFactory metricFactory;
    private final PolicyProvider policyProvider;
    private final MtaStsMetrics metrics;
    private final Set<DeliveryAttemptListener> listeners;

    private MtaStsMailetSettings settings;
    private RemoteDeliveryConfiguration configuration;
    private MailQueue queue;
    private Bouncer bouncer;
    private MailDelivrer delivrer;
    private Metric outgoingMails;
    private Scheduler workers;
    private Scheduler dequeuer;
    private Disposable loop;

    @Inject
    public MtaStsRemoteDelivery(DNSService dnsService, DomainList domainList, MailQueueFactory<?> queueFactory,
                                MetricFactory metricFactory, PolicyProvider policyProvider, MtaStsMetrics metrics,
                                Set<DeliveryAttemptListener> listeners) {
        this.dnsService = dnsService;
        this.domainList = domainList;
        this.queueFactory = queueFactory;
        this.metricFactory = metricFactory;
        this.policyProvider = policyProvider;
        this.metrics = metrics;
        this.listeners = listeners;
    }

    @Override
    public void init() throws MessagingException {
        settings = MtaStsMailetSettings.parse(getMailetConfig());
        try {
            ObservingSslSocketFactory.configureTrust(settings.trustStore);
        } catch (java.security.GeneralSecurityException e) {
            throw new MessagingException("mailet parameter " + MtaStsMailetSettings.TRUST_STORE + ": " + e.getMessage(), e);
        }
        // Sessions without an enforce policy stay as the administrator configured them: when they
        // set their own TLS trust (mail.smtp.ssl.trust) or socket factory, those stay in effect
        // there, and TLS outcomes of such sessions are reported as unknown.
        boolean observed = getInitParameter("mail.smtp.ssl.trust") == null
                && getInitParameter(SOCKET_FACTORY_CLASS) == null
                && getInitParameter("mail.smtp.ssl.socketFactory") == null;
        OverlayMailetConfig usual = new OverlayMailetConfig(getMailetConfig())
                .setIfAbsent(PLAIN_SOCKET_FACTORY_CLASS, PinningSocketFactory.class.getName());
        if (observed) {
            usual.set(SOCKET_FACTORY_CLASS, ObservingSslSocketFactory.class.getName());
        }
        configuration = new RemoteDeliveryConfiguration(usual, domainList);
        RemoteDeliveryConfiguration strict = new RemoteDeliveryConfiguration(strictView(getMailetConfig()), domainList);
        queue = queueFactory.createQueue(configuration.getOutGoingQueueName());
        bouncer = new Bouncer(configuration, getMailetContext());
        delivrer = new MailDelivrer(configuration, new PolicyAwareDelivrerToHost(configuration, strict, getMailetContext(), observed),
                dnsService, bouncer, getMailetContext());
        outgoingMails = metricFactory.generate(OUTGOING_MAILS);
        int concurrency = parseConcurrency(getInitParameter("deliveryThreads"));
        workers = Schedulers.newBoundedElastic(concurrency, Integer.MAX_VALUE, "MtaStsRemoteDelivery");
        dequeuer = Schedulers.newSingle("MtaStsRemoteDelivery-dequeue");
        ClassLoader loader = MtaStsRemoteDelivery.class.getClassLoader();
        loop = Flux.from(queue.deQueue())
                .flatMap(item -> Mono.fromRunnable(() -> process(item, loader)).subscribeOn(workers), concurrency)
                .onErrorContinue((t, o) -> LOGGER.error("MTA-STS delivery loop error", t))
                .subscribeOn(dequeuer)
                .subscribe();
        LOGGER.info("MtaStsRemoteDelivery started: queue={} mtaStsMode={} overrides={} onLookupError={}",
                configuration.getOutGoingQueueName().asString(), settings.mode, settings.overrides.keySet(),
                settings.onLookupError);
    }

    /**
     * The parameters of the session used for a host under an enforce policy: STARTTLS required,
     * identity verified against the host name we connect by, TLS 1.2+, our observing factory, and
     * no {@code ssl.trust} (RFC 8461 §4.2).
     */
    static OverlayMailetConfig strictView(org.apache.mailet.MailetConfig base) {
        return new OverlayMailetConfig(base)
                .set("startTLS", "true")
                .set("verifyServerIdentity", "true")
                .set("mail.smtp.starttls.enable", "true")
                .set("mail.smtp.starttls.required", "true")
                .set("mail.smtp.ssl.checkserveridentity", "true")
                .set("mail.smtps.ssl.checkserveridentity", "true")
                .set("mail.smtp.ssl.protocols", "TLSv1.3 TLSv1.2")
                .set(SOCKET_FACTORY_CLASS, ObservingSslSocketFactory.class.getName())
                .remove("mail.smtp.ssl.trust")
                .remove("mail.smtps.ssl.trust")
                .remove("mail.smtp.ssl.socketFactory")
                .set(PLAIN_SOCKET_FACTORY_CLASS, PinningSocketFactory.class.getName())
                .set("mail.smtp.socketFactory.fallback", "false")
                .remove("mail.smtp.ssl.socketFactory.port");
    }

    private static int parseConcurrency(String v) throws MessagingException {
        if (v == null || v.trim().isEmpty()) {
            return 20;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new MessagingException("mailet parameter deliveryThreads: '" + v + "' is not a positive integer");
        }
    }

    @Override
    public String getMailetInfo() {
        return "MtaStsRemoteDelivery (RemoteDelivery with MTA-STS, RFC 8461)";
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        if (configuration.isUsePriority()) {
            mail.setAttribute(MailPrioritySupport.HIGH_PRIORITY_ATTRIBUTE);
        }
        if (mail.getRecipients().isEmpty()) {
            LOGGER.debug("Mail {} has no recipients and can not be remotely delivered", mail.getName());
        } else if (!configuration.getGatewayServer().isEmpty()) {
            queue.enQueue(mail);
        } else {
            // One queue item per recipient domain: each has its own MX set and its own policy.
            Map<Domain, List<MailAddress>> byDomain = new LinkedHashMap<>();
            for (MailAddress r : mail.getRecipients()) {
                byDomain.computeIfAbsent(r.getDomain(), d -> new ArrayList<>()).add(r);
            }
            String name = mail.getName();
            for (Map.Entry<Domain, List<MailAddress>> e : byDomain.entrySet()) {
                mail.setRecipients(e.getValue());
                mail.setName(name + NAME_JUNCTION + e.getKey().name());
                queue.enQueue(mail);
            }
        }
        mail.setState(Mail.GHOST);
    }

    private void process(MailQueue.MailQueueItem item, ClassLoader loader) {
        Thread.currentThread().setContextClassLoader(loader); // JavaMail loads our socket factory by name
        Mail mail = item.getMail();
        try {
            metricFactory.runPublishingTimerMetric(DELIVERY_TRIAL, () -> {
                try {
                    attempt(mail);
                } catch (MailQueue.MailQueueException e) {
                    throw new IllegalStateException(e);
                }
            });
            item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
        } catch (Exception e) {
            LOGGER.error("Delivery of {} failed unexpectedly; the queue will retry it", mail.getName(), e);
            try {
                item.done(MailQueue.MailQueueItem.CompletionStatus.RETRY);
            } catch (MailQueue.MailQueueException ex) {
                LOGGER.error("Could not give {} back to the queue", mail.getName(), ex);
            }
        } finally {
            LifecycleUtil.dispose(mail);
        }
    }

    /** The decision for one attempt: how the policy (if any) is applied, and why. */
    private static final class Decision {
        final Application application;
        final StsPolicy policy;
        final PolicySource source;
        final String policyId;
        final Verdict fixedVerdict;
        final String reason;
        final boolean defer;

        Decision(Application application, StsPolicy policy, PolicySource source, String policyId,
                 Verdict fixedVerdict, String reason, boolean defer) {
            this.application = application;
            this.policy = policy;
            this.source = source;
            this.policyId = policyId;
            this.fixedVerdict = fixedVerdict;
            this.reason = reason;
            this.defer = defer;
        }

        static Decision none(Verdict v, String reason) {
            return new Decision(Application.NONE, null, PolicySource.NONE, null, v, reason, false);
        }
    }

    Decision decide(String domain) {
        if (!configuration.getGatewayServer().isEmpty()) {
            if (GATEWAY_LOGGED.compareAndSet(false, true)) {
                LOGGER.warn("MtaStsRemoteDelivery delivers through gateway {}: a smarthost delivery is not an MX "
                        + "delivery, MTA-STS (RFC 8461) policies are not applied", configuration.getGatewayServer());
            }
            return Decision.none(Verdict.GATEWAY, "gateway delivery, MTA-STS does not apply");
        }
        if (settings.mode == MtaStsMailetSettings.Mode.OFF) {
            return Decision.none(Verdict.NO_POLICY, "mtaStsMode=off");
        }
        boolean reportOnly = settings.mode == MtaStsMailetSettings.Mode.REPORT;
        MtaStsMailetSettings.DomainOverride override = settings.overrideFor(domain);
        if (override != null && override.kind == MtaStsMailetSettings.DomainOverride.Kind.OFF) {
            return Decision.none(Verdict.NO_POLICY, "override " + domain + "=off");
        }
        if (override != null && override.localPolicy != null) {
            StsPolicy p = override.localPolicy;
            boolean enforce = p.mode() == StsPolicy.Mode.ENFORCE && !reportOnly;
            return new Decision(enforce ? Application.ENFORCE : Application.OBSERVE, p, PolicySource.LOCAL_OVERRIDE,
                    null, null, "local override " + override + (reportOnly ? " (mtaStsMode=report)" : ""), false);
        }
        CacheResult r;
        try {
            r = policyProvider.get(domain);
        } catch (RuntimeException e) {
            r = CacheResult.error("policy provider failed: " + e);
        }
        if (r == null) {
            r = CacheResult.error("policy provider returned nothing");
        }
        switch (r.outcome()) {
            case OK:
                if (r.policy() == null || r.policy().mode() == StsPolicy.Mode.NONE) {
                    return new Decision(Application.NONE, r.policy(), r.policy() == null ? PolicySource.NONE
                            : PolicySource.PUBLISHED, r.recordId(), Verdict.NO_POLICY,
                            r.policy() == null ? "no policy: " + r.reason() : "policy mode none", false);
                }
                boolean testingOverride = override != null && override.kind == MtaStsMailetSettings.DomainOverride.Kind.TESTING;
                boolean enforce = r.policy().mode() == StsPolicy.Mode.ENFORCE && !reportOnly && !testingOverride;
                String why = "published " + r.policy().mode().text() + " policy"
                        + (r.policy().mode() == StsPolicy.Mode.ENFORCE && !enforce
                            ? (reportOnly ? " applied as testing (mtaStsMode=report)" : " applied as testing (override)")
                            : "")
                        + " (" + r.reason() + ")";
                return new Decision(enforce ? Application.ENFORCE : Application.OBSERVE, r.policy(),
                        PolicySource.PUBLISHED, r.recordId(), null, why, false);
            case NOT_FOUND:
            case BACKOFF:
                return Decision.none(Verdict.NO_POLICY, r.outcome().name().toLowerCase(java.util.Locale.ROOT)
                        + ": " + r.reason());
            case ERROR:
            default:
                boolean defer = settings.onLookupError == MtaStsMailetSettings.OnLookupError.DEFER;
                return new Decision(Application.NONE, null, PolicySource.NONE, null, Verdict.LOOKUP_ERROR,
                        "policy lookup failed: " + r.reason() + (defer ? ", deferred (mtaStsOnLookupError=defer)"
                        : ", delivered without policy (mtaStsOnLookupError=deliver)"), defer);
        }
    }

    void attempt(Mail mail) throws MailQueue.MailQueueException {
        if (mail.getRecipients().isEmpty()) {
            return;
        }
        String domain = mail.getRecipients().iterator().next().getDomain().asString();
        int attemptNumber = DeliveryRetriesHelper.retrieveRetries(mail) + 1;
        TimeMetric policyCheck = metricFactory.timer(POLICY_CHECK);
        Decision decision;
        try {
            decision = decide(domain);
        } finally {
            policyCheck.stopAndPublish();
        }
        AttemptContext context = new AttemptContext(decision.application, decision.policy);
        ExecutionResult result;
        if (decision.defer) {
            result = ExecutionResult.temporaryFailure(new MessagingException("The MTA-STS policy of " + domain
                    + " could not be looked up (" + decision.reason + ")"));
        } else {
            context.enter();
            try {
                result = delivrer.deliver(mail);
            } finally {
                AttemptContext.exit();
            }
        }
        DeliveryAttemptReport report = report(mail, domain, attemptNumber, decision, context, result);
        LOGGER.info(report.toLogLine());
        metrics.record(report.verdict());
        for (DeliveryAttemptListener l : listeners) {
            try {
                l.onAttempt(report);
            } catch (RuntimeException e) {
                LOGGER.warn("DeliveryAttemptListener {} failed", l, e);
            }
        }
        switch (result.getExecutionState()) {
            case SUCCESS:
                outgoingMails.increment();
                if (configuration.getOnSuccess().isPresent()) {
                    try {
                        getMailetContext().sendMail(mail, configuration.getOnSuccess().get().getValue());
                    } catch (MessagingException e) {
                        LOGGER.warn("Could not send {} to the onSuccess processor", mail.getName(), e);
                    }
                }
                break;
            case TEMPORARY_FAILURE:
                temporaryFailure(mail, result, report, decision, context, domain);
                break;
            case PERMANENT_FAILURE:
            default:
                mail.setAttribute(new Attribute(Bouncer.IS_DELIVERY_PERMANENT_ERROR, AttributeValue.of(true)));
                bouncer.bounce(mail, result.getException().orElse(null));
                break;
        }
    }

    private DeliveryAttemptReport report(Mail mail, String domain, int attemptNumber, Decision d,
                                         AttemptContext context, ExecutionResult result) {
        Outcome outcome = result.getExecutionState() == ExecutionResult.ExecutionState.SUCCESS ? Outcome.DELIVERED
                : result.isPermanent() ? Outcome.PERMANENT_FAILURE : Outcome.TEMPORARY_FAILURE;
        Verdict verdict;
        String reason = d.reason;
        if (d.fixedVerdict != null) {
            verdict = d.fixedVerdict;
        } else if (d.application == Application.ENFORCE) {
            verdict = outcome == Outcome.DELIVERED ? Verdict.ENFORCED_DELIVERED
                    : outcome == Outcome.TEMPORARY_FAILURE ? Verdict.ENFORCED_DEFERRED : Verdict.ENFORCED_FAILED;
            if (outcome != Outcome.DELIVERED && context.anySkipped()) {
                reason = reason + "; " + context.failureSummary();
            }
        } else {
            verdict = context.anyWouldFail() ? Verdict.TESTING_WOULD_FAIL : Verdict.TESTING_OK;
            if (verdict == Verdict.TESTING_WOULD_FAIL) {
                reason = reason + "; would fail under enforce: " + wouldFailSummary(context);
            }
        }
        return new DeliveryAttemptReport(Instant.now(), mail.getName(), domain, attemptNumber, verdict, d.source,
                d.policy == null ? null : d.policy.mode().text(), d.policyId,
                d.policy == null ? null : d.policy.text(), reason, outcome, context.results);
    }

    private static String wouldFailSummary(AttemptContext context) {
        StringBuilder sb = new StringBuilder();
        for (DeliveryAttemptReport.MxResult r : context.results) {
            if (r.failsEnforce()) {
                sb.append(sb.length() == 0 ? "" : "; ").append(r.host()).append(": ");
                if (!r.matched()) {
                    sb.append("not in the policy's mx list");
                } else if (r.starttls() != DeliveryAttemptReport.Starttls.OFFERED) {
                    sb.append(r.starttls() == DeliveryAttemptReport.Starttls.NOT_OFFERED
                            ? "STARTTLS not offered" : "STARTTLS not attempted (startTLS=false)");
                } else {
                    sb.append("certificate ").append(r.certificate().name().toLowerCase(java.util.Locale.ROOT));
                }
            }
        }
        return sb.toString();
    }

    private void temporaryFailure(Mail mail, ExecutionResult result, DeliveryAttemptReport report, Decision decision,
                                  AttemptContext context, String domain) throws MailQueue.MailQueueException {
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
            queue.enQueue(mail, nextDelay(retries + 1));
            return;
        }
        Exception cause = result.getException().orElse(null);
        MessagingException bounce;
        if (report.verdict() == Verdict.ENFORCED_DEFERRED && context.anySkipped()) {
            bounce = new MessagingException("Delivery to " + domain + " was refused by this server because the "
                    + "domain's MTA-STS policy (RFC 8461, mode enforce, mx " + decision.policy.mx()
                    + ") could not be satisfied after " + (retries + 1) + " attempts: no MX host accepted the "
                    + "mail over a verified TLS connection. Per MX host: " + context.failureSummary());
        } else if (report.verdict() == Verdict.LOOKUP_ERROR) {
            bounce = new MessagingException("Delivery to " + domain + " was deferred " + (retries + 1)
                    + " times because its MTA-STS policy could not be looked up: " + decision.reason);
        } else {
            bounce = new MessagingException("Too many retries failure. Bouncing after " + retries + " retries. "
                    + (cause == null || cause.getMessage() == null ? "" : cause.getMessage()));
        }
        LOGGER.info("Bouncing {} after {} retries: {}", mail.getName(), retries, bounce.getMessage());
        bouncer.bounce(mail, bounce);
    }

    private Duration nextDelay(int retryCount) {
        List<Duration> delays = configuration.getDelayTimes();
        if (retryCount > delays.size()) {
            return Duration.ofHours(6);
        }
        return delays.get(retryCount - 1);
    }

    @Override
    public void destroy() {
        if (loop != null) {
            loop.dispose();
        }
        if (dequeuer != null) {
            dequeuer.dispose();
        }
        if (workers != null) {
            workers.dispose();
        }
        if (queue != null) {
            try {
                queue.close();
            } catch (IOException e) {
                LOGGER.debug("error closing queue", e);
            }
        }
    }

    @Override
    public Collection<ProcessingState> requiredProcessingState() {
        List<ProcessingState> states = new ArrayList<>(2);
        configuration.getBounceProcessor().ifPresent(states::add);
        configuration.getOnSuccess().ifPresent(states::add);
        return states;
    }
}

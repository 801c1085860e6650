package dev.jamesmtasts.james;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
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
import org.apache.mailet.Mail;
import org.apache.mailet.ProcessingState;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.jamesmtasts.cache.PolicyProvider;
import dev.jamesmtasts.dane.DaneDomain;

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
 *     the usual schedule) or {@code deliver} (deliver as without a policy). A lookup cut short by
 *     this node's own bounds ({@code cache.maxConcurrentLookups}, the flight time-out) is always
 *     deferred.</li>
 * <li><b>mtaStsTrustStore</b>, <b>mtaStsTrustStorePassword</b>, <b>mtaStsTrustStoreType</b>
 *     (default PKCS12): the CAs trusted for SMTP STARTTLS certificates (PKIX, RFC 8461 §4.2).
 *     Empty: the JVM's default trust store ({@code javax.net.ssl.trustStore} or cacerts). Shared by
 *     every instance of this mailet in the JVM.</li>
 * </ul>
 *
 * <h3>DANE parameters (RFC 7672, see docs/dane.md)</h3>
 * <ul>
 * <li><b>dane</b>: {@code follow} (default): an MX host with DNSSEC-signed usable TLSA records gets
 *     STARTTLS and is authenticated by them (RFC 8461 §2: before MTA-STS, for that host); bogus or
 *     unanswered lookups defer; {@code off}: never. The first mailet with DANE runs a DNSSEC self-check
 *     ({@link DaneService}): DANE stays off, logged as an error, while validation never worked (a check failing
 *     after one passed does not turn it off).</li>
 * <li><b>daneOverrides</b>: {@code domain=off; domain=follow; domain=require} ({@code require}: no MX host
 *     without usable TLSA records is used).</li>
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
 *     last retry the policy cache is asked once more: when the domain's policy changed or went away
 *     meanwhile, the mail gets one more attempt under the policy in force (once); otherwise the bounce
 *     says that the domain's MTA-STS policy could not be satisfied and why, host by host.</li>
 * <li>{@code testing}: delivered as usual. Detection of "would have failed" is free of extra
 *     connections: MX matching is computed, and the TLS outcome is what the normal session saw
 *     (observed by {@link ObservingSslSocketFactory}). With {@code startTLS=false} no TLS is tried,
 *     so every testing delivery is counted as would-fail (STARTTLS unknown): enable startTLS for
 *     meaningful testing reports.</li>
 * <li>{@code none}, no policy, fetch backoff, or gateway delivery: as RemoteDelivery.</li>
 * <li>a TLS-RPT report mail of this server (the {@code ReportMail.ATTRIBUTE} attribute, never a header): as
 *     RemoteDelivery, without MTA-STS or DANE (RFC 8460 §3, RFC 8689 {@code TLS-Required: No}), verdict
 *     {@code tls-not-required}.</li>
 * </ul>
 * Each attempt produces one {@link DeliveryAttemptReport}, logged at INFO in one line, counted in
 * {@link MtaStsMetrics} and handed to every bound {@link DeliveryAttemptListener}.
 *
 * <h3>Who does what</h3>
 * This class holds the mailet's lifecycle, the queue loop and the attempt's sequence. The decision
 * before an attempt is {@link PolicyDecider}'s (pure); the MX walk is James's {@code MailDelivrer}
 * with {@link PolicyAwareMailDelivrerToHost} as its per-MX hook, over the two sessions of
 * {@link DeliverySessions}; the report is built by {@link AttemptReports}; retries and bounces follow
 * James's {@code DeliveryRunnable} in {@link RetryOrBounce}.
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
 * <li>{@code deliveryThreads} bounds concurrent deliveries (RemoteDelivery 3.8.1 ignores it), on a fixed
 *     pool where a free thread takes the next mail, so an attempt stuck on a slow host holds up no other
 *     ({@link DeliveryLoop}).</li>
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
    /**
     * Timer of each attempt's DANE decision for the domain (the validated MX lookup, from memory when
     * cached); the per-host address and TLSA lookups run in the MX walk.
     */
    static final String DANE_CHECK = "mtaSts.daneCheck";
    static final String NAME_JUNCTION = "-to-";
    /** Why DANE is off for a TLS-RPT report mail (RFC 8460 §3, RFC 8689 §4.2.2), see {@link PolicyDecider}. */
    private static final String TLS_NOT_REQUIRED_DANE = "TLS-RPT report mail: TLS-Required: No";

    private final DNSService dnsService;
    private final DomainList domainList;
    private final MailQueueFactory<?> queueFactory;
    private final MetricFactory metricFactory;
    private final PolicyProvider policyProvider;
    private final MtaStsMetrics metrics;
    private final Set<DeliveryAttemptListener> listeners;
    private final DaneService daneService;
    private DaneDecider daneDecider;
    private final DeliveryProfile profile;

    private MtaStsMailetSettings settings;
    private RemoteDeliveryConfiguration configuration;
    private MailQueue queue;
    private RetryOrBounce retryOrBounce;
    private PolicyDecider decider;
    private MailDelivrer delivrer;
    private Metric outgoingMails;
    private DeliveryLoop loop;

    @Inject
    public MtaStsRemoteDelivery(DNSService dnsService, DomainList domainList, MailQueueFactory<?> queueFactory,
                                MetricFactory metricFactory, PolicyProvider policyProvider, MtaStsMetrics metrics,
                                Set<DeliveryAttemptListener> listeners, DaneService daneService,
                                DeliveryProfile profile) {
        this.daneService = daneService;
        this.profile = profile;
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
        boolean observed = DeliverySessions.usualSessionObserved(getMailetConfig());
        configuration = new RemoteDeliveryConfiguration(DeliverySessions.usualView(getMailetConfig()), domainList);
        RemoteDeliveryConfiguration strict = new RemoteDeliveryConfiguration(
                DeliverySessions.strictView(getMailetConfig()), domainList);
        RemoteDeliveryConfiguration daneSessions = new RemoteDeliveryConfiguration(
                DeliverySessions.daneView(getMailetConfig()), domainList);
        queue = queueFactory.createQueue(configuration.getOutGoingQueueName());
        Bouncer bouncer = new Bouncer(configuration, getMailetContext());
        retryOrBounce = new RetryOrBounce(configuration, queue, bouncer);
        decider = PolicyDecider.of(settings, !configuration.getGatewayServer().isEmpty());
        daneDecider = DaneDecider.of(settings, !configuration.getGatewayServer().isEmpty(), daneService);
        daneService.mailetConfigured(settings.dane);
        if (daneDecider.used()) {
            daneService.activate(); // the first DNSSEC self-check, bounded by dane.lookupTimeout
        }
        if (!configuration.getGatewayServer().isEmpty() && GATEWAY_LOGGED.compareAndSet(false, true)) {
            LOGGER.warn("MtaStsRemoteDelivery delivers through gateway {}: a smarthost delivery is not an MX "
                    + "delivery, MTA-STS (RFC 8461) policies are not applied", configuration.getGatewayServer());
        }
        delivrer = new MailDelivrer(configuration,
                new PolicyAwareMailDelivrerToHost(configuration, strict, daneSessions, getMailetContext(), observed),
                dnsService, bouncer, getMailetContext());
        // what `mta-sts check` and WebAdmin's check route ask this node's delivery about (DomainChecks)
        profile.register(decider, new JamesMxTargets(dnsService, configuration), settings.trustStore,
                configuration.getHeloNameProvider().getHeloName(), daneDecider, daneService);
        outgoingMails = metricFactory.generate(OUTGOING_MAILS);
        int concurrency = parseConcurrency(getInitParameter("deliveryThreads"));
        ClassLoader loader = MtaStsRemoteDelivery.class.getClassLoader();
        loop = DeliveryLoop.start(queue.deQueue(), item -> process(item, loader), concurrency, "MtaStsRemoteDelivery");
        LOGGER.info("MtaStsRemoteDelivery started: queue={} mtaStsMode={} overrides={} onLookupError={} dane={} "
                + "daneOverrides={} ({})", configuration.getOutGoingQueueName().asString(), settings.mode,
                settings.overrides.keySet(), settings.onLookupError, settings.dane.name().toLowerCase(java.util.Locale.ROOT),
                settings.daneOverrides, daneDecider.used() ? "DANE " + daneService.state() : "DANE not used");
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

    void attempt(Mail mail) throws MailQueue.MailQueueException {
        if (mail.getRecipients().isEmpty()) {
            return;
        }
        String domain = mail.getRecipients().iterator().next().getDomain().asString();
        int attemptNumber = DeliveryRetriesHelper.retrieveRetries(mail) + 1;
        boolean tlsReport = TlsRptListener.isTlsReport(mail);
        TimeMetric policyCheck = metricFactory.timer(POLICY_CHECK);
        AttemptDecision decision;
        try {
            decision = decider.decide(domain, policyProvider, tlsReport);
        } finally {
            policyCheck.stopAndPublish();
        }
        DaneDomain dane;
        if (decision.tlsNotRequired()) {
            dane = DaneDomain.off(domain, TLS_NOT_REQUIRED_DANE);
        } else {
            TimeMetric daneCheck = metricFactory.timer(DANE_CHECK);
            try {
                dane = daneDecider.decide(domain);
            } finally {
                daneCheck.stopAndPublish();
            }
        }
        AttemptContext context = new AttemptContext(decision.application, decision.policy, dane, daneService.policy());
        ExecutionResult result;
        if (decision.defer) {
            result = ExecutionResult.temporaryFailure(new MessagingException("The MTA-STS policy of " + domain
                    + " could not be looked up (" + decision.reason() + ")"));
        } else if (dane.defer()) {
            // RFC 7672 §2.1.1, §2.2.1: whether DANE applies cannot be known (bogus or unanswered MX lookup),
            // or DANE is required and missing: deferred, never delivered as if the domain had no DANE.
            result = ExecutionResult.temporaryFailure(new MessagingException("DANE (RFC 7672) for " + domain
                    + ": " + dane.detail() + "; deferred"));
        } else {
            context.enter();
            try {
                result = delivrer.deliver(mail);
            } finally {
                AttemptContext.exit();
            }
        }
        DeliveryAttemptReport report = AttemptReports.build(mail.getName(), domain, attemptNumber, decision, context,
                result, tlsReport);
        if (LOGGER.isInfoEnabled()) {
            LOGGER.info(report.toLogLine());
        }
        metrics.record(report.verdict());
        metrics.record(report.daneVerdict());
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
                retryOrBounce.temporaryFailure(mail, result, report, decision, context,
                        () -> policyChange(domain, decision, tlsReport));
                break;
            case PERMANENT_FAILURE:
            default:
                retryOrBounce.permanentFailure(mail, result);
                break;
        }
    }

    /**
     * What changed in the policy of {@code domain} since {@code before} was decided, asking the cache
     * again (null: the same policy still applies the same way).
     */
    String policyChange(String domain, AttemptDecision before, boolean tlsReport) {
        AttemptDecision now = decider.decide(domain, policyProvider, tlsReport);
        if (now.application != before.application) {
            return "now " + now.application.name().toLowerCase(java.util.Locale.ROOT) + ": " + now.reason();
        }
        if (!java.util.Objects.equals(now.policyId, before.policyId)
                || !java.util.Objects.equals(now.policy, before.policy)) {
            return "policy id " + before.policyId + " -> " + now.policyId;
        }
        return null;
    }

    @Override
    public void destroy() {
        if (loop != null) {
            loop.close();
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

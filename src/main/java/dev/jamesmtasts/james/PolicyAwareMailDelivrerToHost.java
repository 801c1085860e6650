package dev.jamesmtasts.james;

import java.io.IOException;
import java.util.Collection;
import java.util.Locale;

import javax.mail.MessagingException;
import javax.mail.SendFailedException;
import javax.mail.internet.InternetAddress;

import org.apache.james.transport.mailets.remote.delivery.ExecutionResult;
import org.apache.james.transport.mailets.remote.delivery.MailDelivrerToHost;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.mailet.HostAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.jamesmtasts.dane.DaneHost;
import dev.jamesmtasts.james.DeliveryAttemptReport.CertificateVerdict;
import dev.jamesmtasts.james.DeliveryAttemptReport.MxResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.Starttls;
import dev.jamesmtasts.mtasts.SafeText;

/**
 * The per-MX hook. James's {@code MailDelivrer} walks the MX hosts of the recipient domain and
 * calls {@link #tryDeliveryToHost} for each; this decides, from the thread's {@link AttemptContext},
 * whether the host may be used and with which session:
 * <ul>
 *   <li>DANE first (RFC 8461 §2: DANE takes precedence for hosts with usable TLSA records): a host whose
 *       DANE decision ({@link AttemptContext#daneHost}) failed (bogus or unanswered lookups, DANE required
 *       and missing) is skipped without connecting; a host with usable TLSA records gets the DANE session
 *       (STARTTLS required, the chain checked against the records, no PKIX, no name check for DANE-EE),
 *       whether or not an MTA-STS policy lists it; secure but unusable TLSA records require STARTTLS
 *       (RFC 7672 §2.2): under enforce the strict session gives it, otherwise the DANE session without a
 *       certificate check. Any failure of a DANE host skips to the next MX, never plaintext.</li>
 *   <li>enforce (RFC 8461 §4.1, §4.2, §5), for hosts without usable TLSA records: a host that matches no {@code mx} pattern is skipped
 *       without connecting; a matching host gets the strict session (STARTTLS required, connection by
 *       host name, certificate PKIX-valid for the MX name, TLS >= 1.2, no {@code ssl.trust}); a
 *       host that fails is skipped. Skipping = a MessagingException whose next exception is an
 *       IOException, which makes James's MailDelivrer try the next MX; when none is left the
 *       attempt is a temporary failure.</li>
 *   <li>otherwise the stock session, exactly as RemoteDelivery would use it; what happened is
 *       recorded.</li>
 * </ul>
 */
class PolicyAwareMailDelivrerToHost extends MailDelivrerToHost {
    private static final Logger LOGGER = LoggerFactory.getLogger(PolicyAwareMailDelivrerToHost.class);
    /** An SMTP reply quoted in a reason: enough for a multi-line reply's gist, not a megabyte of it. */
    static final int SMTP_REPLY_MAX = 300;

    private final MailDelivrerToHost strict;
    private final MailDelivrerToHost daneDelivrer;
    private final boolean startTlsConfigured;
    /** False when the usual session uses the administrator's own TLS settings: nothing observed there. */
    private final boolean usualObserved;

    PolicyAwareMailDelivrerToHost(RemoteDeliveryConfiguration normal, RemoteDeliveryConfiguration strictConfiguration,
                              RemoteDeliveryConfiguration daneConfiguration, MailetContext context, boolean usualObserved) {
        super(normal, context);
        this.strict = new MailDelivrerToHost(strictConfiguration, context);
        this.daneDelivrer = new MailDelivrerToHost(daneConfiguration, context);
        this.startTlsConfigured = normal.isStartTLS();
        this.usualObserved = usualObserved;
    }

    @Override
    public ExecutionResult tryDeliveryToHost(Mail mail, Collection<InternetAddress> addr, HostAddress host)
            throws MessagingException {
        AttemptContext attempt = AttemptContext.current();
        if (attempt == null) {
            // Fail closed: without the attempt's context nothing says whether an enforce policy applies,
            // and delivering with the usual session could send mail in the clear to an MX the policy
            // does not list (RFC 8461 §5). MtaStsRemoteDelivery always sets it; this is a bug guard.
            LOGGER.error("MTA-STS: no policy context for the delivery of {} to MX {} on thread {}: not delivered, "
                    + "temporary failure (a bug: MtaStsRemoteDelivery sets the context around each attempt)",
                    mail.getName(), hostName(host), Thread.currentThread().getName());
            throw new MessagingException("MTA-STS: no policy context for this attempt; deferred rather than "
                    + "delivered without MTA-STS");
        }
        String name = hostName(host);
        boolean matched = attempt.policy != null && attempt.policy.matchesMx(name);
        boolean enforce = attempt.application == AttemptContext.Application.ENFORCE;
        DaneHost dane;
        try {
            dane = attempt.daneHost(name.toLowerCase(Locale.ROOT));
        } catch (RuntimeException e) {
            // a bug guard: without the host's DANE decision it is not used (never as if DANE did not apply)
            String why = "DANE: decision failed: " + SafeText.of(e.toString());
            attempt.results.add(new MxResult(name, matched, Starttls.UNKNOWN, CertificateVerdict.NOT_CHECKED,
                    null, false, why));
            throw skip(name, why, e);
        }
        MxSession session = MxSession.of(enforce, attempt.policy, matched, dane);
        if (session.skip != null) {
            // RFC 7672 §2.1.1: bogus or unanswered TLSA/address lookups make the host unusable (with DANE
            // required, so does the lack of usable records): never delivered to without DANE. RFC 8461 §4.1:
            // under enforce, an unlisted host is not used.
            attempt.results.add(new MxResult(name, matched, Starttls.UNKNOWN, CertificateVerdict.NOT_CHECKED,
                    null, false, session.skip, null, null, dane == null ? null : DeliveryAttemptReport.DaneMx.of(dane, null)));
            throw skip(name, session.skip, null);
        }
        boolean daneSession = session.kind == MxSession.Kind.DANE;
        boolean daneTls = session.daneTls;
        boolean failClosed = session.failClosed;
        TlsProbe probe = TlsProbe.begin(session.kind != MxSession.Kind.USUAL);
        probe.pinnedHost = name;
        probe.pinnedAddress = address(host);
        probe.dane = daneSession ? dane : null;
        try {
            ExecutionResult result = daneSession ? daneDelivrer.tryDeliveryToHost(mail, addr, host)
                    : session.kind == MxSession.Kind.STRICT ? strict.tryDeliveryToHost(mail, addr, host)
                    : super.tryDeliveryToHost(mail, addr, host);
            attempt.results.add(new MxResult(name, matched, starttls(probe, null), verdict(probe, null),
                    probe.protocol, true, null, receivingIp(probe, true), probe.sendingIp, daneResult(dane, probe)));
            return result;
        } catch (SendFailedException e) {
            // The SMTP transaction itself failed (MAIL/RCPT/DATA): James's own rules apply.
            attempt.results.add(new MxResult(name, matched, starttls(probe, e), verdict(probe, e), probe.protocol,
                    false, "refused: " + SafeText.of(e.getMessage(), SMTP_REPLY_MAX), receivingIp(probe, true),
                    probe.sendingIp, daneResult(dane, probe)));
            throw e;
        } catch (MessagingException e) {
            Starttls starttls = starttls(probe, e);
            CertificateVerdict verdict = verdict(probe, e);
            String why = reason(starttls, verdict, probe, e);
            attempt.results.add(new MxResult(name, matched, starttls, verdict, probe.protocol, false,
                    daneTls ? "DANE: " + why : why, receivingIp(probe, starttls != Starttls.UNKNOWN), probe.sendingIp,
                    daneResult(dane, probe)));
            if (failClosed) {
                throw skip(name, why, e);
            }
            throw e;
        } finally {
            TlsProbe.end();
        }
    }

    private static DeliveryAttemptReport.DaneMx daneResult(DaneHost dane, TlsProbe probe) {
        if (dane == null) {
            return null;
        }
        return DeliveryAttemptReport.DaneMx.of(dane, probe.daneVerification == null ? null
                : probe.daneVerification.outcome());
    }

    /**
     * The address the session connected to: as the socket saw it, else (a socket factory of the
     * administrator's) the address James resolved for the MX, when the session evidently reached it.
     */
    private static String receivingIp(TlsProbe probe, boolean connected) {
        if (probe.receivingIp != null) {
            return probe.receivingIp;
        }
        return connected && probe.pinnedAddress != null ? probe.pinnedAddress.getHostAddress() : null;
    }

    private Starttls starttls(TlsProbe probe, MessagingException e) {
        if (!probe.strict && !usualObserved) {
            return Starttls.UNKNOWN;
        }
        if (probe.handshakeAttempted) {
            return Starttls.OFFERED;
        }
        if (e != null && messageContains(e, "starttls is required")) {
            return Starttls.NOT_OFFERED;
        }
        if (e == null && (probe.strict || startTlsConfigured)) {
            // STARTTLS was enabled and the session completed without a handshake: not offered.
            return Starttls.NOT_OFFERED;
        }
        return Starttls.UNKNOWN;
    }

    private static CertificateVerdict verdict(TlsProbe probe, MessagingException e) {
        if (e != null && probe.verdict == CertificateVerdict.VALID && messageContains(e, "can't verify identity")) {
            return CertificateVerdict.HOST_MISMATCH;
        }
        return probe.verdict;
    }

    private static String reason(Starttls starttls, CertificateVerdict verdict, TlsProbe probe, MessagingException e) {
        if (starttls == Starttls.NOT_OFFERED) {
            return "STARTTLS not offered";
        }
        if (verdict != CertificateVerdict.NOT_CHECKED && verdict != CertificateVerdict.VALID) {
            return probe.error != null && verdict == probe.verdict ? probe.error : TlsProbe.describe(verdict, e);
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return "connection failed: " + root.getClass().getSimpleName()
                + (root.getMessage() == null ? "" : " " + SafeText.of(root.getMessage()));
    }

    private static boolean messageContains(Throwable t, String lowerNeedle) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null && c.getMessage().toLowerCase(Locale.ROOT).contains(lowerNeedle)) {
                return true;
            }
            if (c instanceof MessagingException && ((MessagingException) c).getNextException() != null
                    && c.getCause() == null) {
                c = ((MessagingException) c).getNextException();
                if (c.getMessage() != null && c.getMessage().toLowerCase(Locale.ROOT).contains(lowerNeedle)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A failure that makes James's MailDelivrer go on with the next MX host. */
    private static MessagingException skip(String host, String why, Exception cause) {
        String text = "MX " + host + " skipped: " + why;
        return new MessagingException(text, new IOException(text, cause));
    }

    /** The IP James's DNSService resolved for this MX (HostAddress carries it as an IP literal). */
    private static java.net.InetAddress address(HostAddress host) {
        try {
            String ip = host.getHost();
            if (ip == null || ip.isEmpty() || !(Character.isDigit(ip.charAt(0)) || ip.indexOf(':') >= 0)) {
                return null;
            }
            return java.net.InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    static String hostName(HostAddress host) {
        String h = host.getHostName();
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }
}

package dev.jamesmtasts.james;

import org.apache.mailet.MailetConfig;

import dev.jamesmtasts.mtasts.TlsVersions;

/**
 * The three views of the administrator's mailet parameters from which {@link MtaStsRemoteDelivery}
 * builds James's {@code RemoteDeliveryConfiguration}s: the usual session (as RemoteDelivery,
 * plus DNS pinning and TLS observation), the strict session used for an MX under an enforce
 * policy (RFC 8461 §4.2), and the DANE session for an MX with secure TLSA records (RFC 7672 §2.2, §3).
 */
final class DeliverySessions {
    static final String SOCKET_FACTORY_CLASS = "mail.smtp.ssl.socketFactory.class";
    static final String PLAIN_SOCKET_FACTORY_CLASS = "mail.smtp.socketFactory.class";

    private DeliverySessions() {
    }

    /**
     * True unless the administrator set their own TLS trust ({@code mail.smtp.ssl.trust}) or socket
     * factory: those stay in effect in sessions without an enforce policy, whose TLS outcomes are then
     * reported as unknown.
     */
    static boolean usualSessionObserved(MailetConfig base) {
        return base.getInitParameter("mail.smtp.ssl.trust") == null
                && base.getInitParameter(SOCKET_FACTORY_CLASS) == null
                && base.getInitParameter("mail.smtp.ssl.socketFactory") == null;
    }

    /** The session used without an enforce policy: the administrator's, connecting to James's resolved MX address. */
    static OverlayMailetConfig usualView(MailetConfig base) {
        OverlayMailetConfig usual = new OverlayMailetConfig(base)
                .setIfAbsent(PLAIN_SOCKET_FACTORY_CLASS, PinningSocketFactory.class.getName());
        if (usualSessionObserved(base)) {
            usual.set(SOCKET_FACTORY_CLASS, ObservingSslSocketFactory.class.getName());
        }
        return usual;
    }

    /**
     * The parameters of the session used for a host under an enforce policy: STARTTLS required,
     * identity verified against the host name we connect by, TLS 1.2+, our observing factory, and
     * no {@code ssl.trust} (RFC 8461 §4.2).
     */
    static OverlayMailetConfig strictView(MailetConfig base) {
        return new OverlayMailetConfig(base)
                .set("startTLS", "true")
                .set("verifyServerIdentity", "true")
                .set("mail.smtp.starttls.enable", "true")
                .set("mail.smtp.starttls.required", "true")
                .set("mail.smtp.ssl.checkserveridentity", "true")
                .set("mail.smtps.ssl.checkserveridentity", "true")
                .set("mail.smtp.ssl.protocols", TlsVersions.JAVAMAIL_LIST)
                .set(SOCKET_FACTORY_CLASS, ObservingSslSocketFactory.class.getName())
                .remove("mail.smtp.ssl.trust")
                .remove("mail.smtps.ssl.trust")
                .remove("mail.smtp.ssl.socketFactory")
                .set(PLAIN_SOCKET_FACTORY_CLASS, PinningSocketFactory.class.getName())
                .set("mail.smtp.socketFactory.fallback", "false")
                .remove("mail.smtp.ssl.socketFactory.port");
    }

    /**
     * The parameters of the session with an MX host whose secure TLSA records require TLS (RFC 7672 §2.2):
     * the strict session, except that JavaMail checks no name: the server is authenticated by its TLSA
     * records in {@link ObservingSslSocketFactory} (DANE-EE has no name check, DANE-TA checks the names
     * of RFC 7672 §3.2.2 itself), or not at all when none is usable (§3.1.3).
     */
    static OverlayMailetConfig daneView(MailetConfig base) {
        return strictView(base)
                .set("mail.smtp.ssl.checkserveridentity", "false")
                .set("mail.smtps.ssl.checkserveridentity", "false");
    }
}

package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.dnsservice.api.InMemoryDNSService;
import org.apache.james.server.core.MailImpl;
import org.apache.james.transport.mailets.remote.delivery.ExecutionResult;
import org.apache.james.transport.mailets.remote.delivery.MailDelivrer;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.Test;

import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * The per-MX hook fails closed: James's own MailDelivrer walking a real MX (a plain SMTP receiver on
 * loopback) through {@link PolicyAwareMailDelivrerToHost} with no {@link AttemptContext} on the thread
 * delivers nothing, connects nowhere, and the attempt is a temporary failure (retried, never sent
 * without MTA-STS).
 */
class PolicyAwareMailDelivrerToHostTest {

    @Test
    void withoutAnAttemptContextNothingIsSentAndTheAttemptIsATemporaryFailure() throws Exception {
        try (TestSmtpReceiver mx = new TestSmtpReceiver("mx.nocontext.test", null)) {
            InMemoryDNSService dns = new InMemoryDNSService();
            dns.registerRecord("mx.nocontext.test", InetAddress.getLoopbackAddress(), "mx.nocontext.test");
            dns.registerRecord("nocontext.test", List.of(InetAddress.getLoopbackAddress()),
                    List.of("mx.nocontext.test:" + mx.port()), List.of());
            RemoteDeliveryConfiguration configuration = new RemoteDeliveryConfiguration(MtaStsMailetSettingsTest.config(
                    "outgoing", "outgoing", "heloName", "james.local", "maxDnsProblemRetries", "0",
                    "connectiontimeout", "5000", "timeout", "5000"), null);
            PolicyAwareMailDelivrerToHost hook = new PolicyAwareMailDelivrerToHost(configuration, configuration, configuration, null, true);
            MailDelivrer delivrer = new MailDelivrer(configuration, hook, dns, null, null);
            MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
            message.setFrom(new InternetAddress("alice@sender.test"));
            message.setText("hello");
            message.saveChanges();
            Mail mail = MailImpl.builder().name("nocontext").sender("alice@sender.test")
                    .addRecipient(new MailAddress("bob@nocontext.test")).mimeMessage(message).build();

            assertThat(AttemptContext.current()).isNull();
            ExecutionResult result = delivrer.deliver(mail);

            assertThat(result.getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.TEMPORARY_FAILURE);
            assertThat(result.getException()).get().extracting(Throwable::getMessage).asString()
                    .contains("no policy context");
            assertThat(mx.connections()).isZero();
            assertThat(mx.received()).isEmpty();
        }
    }
}

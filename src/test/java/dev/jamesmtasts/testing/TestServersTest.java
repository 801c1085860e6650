package dev.jamesmtasts.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/** The test servers themselves: what other tests and the demo rely on. */
class TestServersTest {

    @Test
    void dnsServerAnswersOnTheSamePortOverUdpAndTcp() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start()) {
            dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "192.0.2.25");
            Message query = Message.newQuery(Record.newRecord(Name.fromString("example.test."), Type.MX, DClass.IN));
            SimpleResolver udp = new SimpleResolver(dns.address());
            SimpleResolver tcp = new SimpleResolver(dns.address());
            tcp.setTCP(true);
            assertThat(udp.send(query).getSection(Section.ANSWER)).hasSize(1);
            assertThat(tcp.send(query).getSection(Section.ANSWER)).hasSize(1);
            assertThat(dns.queries("example.test", Type.MX)).isEqualTo(2);
            assertThat(dns.tcpQueries("example.test", Type.MX)).isEqualTo(1);
        }
    }

    @Test
    void closeReturnsPromptlyWhileAResponseIsTrickling() throws Exception {
        TestCa ca = TestCa.create("trickle CA");
        TestHttpsServer https = TestHttpsServer.start();
        https.host("slow.test", ca.issue("slow.test"), TestHttpsServer.Response.ok("x".repeat(1000)).trickle(Duration.ofSeconds(1)));
        try (Socket raw = new Socket("127.0.0.1", https.port());
             SSLSocket tls = (SSLSocket) ca.clientContext().getSocketFactory().createSocket(raw, "slow.test", https.port(), true)) {
            SSLParameters p = tls.getSSLParameters();
            p.setServerNames(java.util.List.of(new SNIHostName("slow.test")));
            tls.setSSLParameters(p);
            tls.getOutputStream().write("GET / HTTP/1.1\r\nHost: slow.test\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            InputStream in = tls.getInputStream();
            assertThat(in.read()).isEqualTo('H'); // the trickle has started
            assertTimeoutPreemptively(Duration.ofSeconds(10), https::close);
            assertThat(https.requests("slow.test")).isEqualTo(1);
        }
    }

    @Test
    void dnsServerBindsTheGivenAddressAndReplacesMxRecordsInOneStep() throws Exception {
        // Port 0 stands in for the demo's fixed port 53 (which needs a private network namespace).
        try (TestDnsServer dns = TestDnsServer.start(new java.net.InetSocketAddress("127.0.0.2", 0))) {
            assertThat(dns.address().getAddress().getHostAddress()).isEqualTo("127.0.0.2");
            dns.mx("swap.test", 10, "old.swap.test").mx("swap.test", 20, "other.swap.test").txt("swap.test", "keep me");
            dns.replaceMx("swap.test", 5, "new.swap.test");
            SimpleResolver resolver = new SimpleResolver(dns.address());
            Record[] mx = resolver.send(Message.newQuery(Record.newRecord(Name.fromString("swap.test."), Type.MX, DClass.IN)))
                    .getSection(Section.ANSWER).toArray(new Record[0]);
            assertThat(mx).hasSize(1);
            assertThat(((org.xbill.DNS.MXRecord) mx[0]).getTarget()).isEqualTo(Name.fromString("new.swap.test."));
            assertThat(resolver.send(Message.newQuery(Record.newRecord(Name.fromString("swap.test."), Type.TXT, DClass.IN)))
                    .getSection(Section.ANSWER)).as("other record types stay").hasSize(1);
        }
    }

    @Test
    void httpsServerBindsTheGivenAddress() throws Exception {
        try (TestHttpsServer https = TestHttpsServer.start(new java.net.InetSocketAddress("127.0.0.3", 0))) {
            assertThat(https.address().getAddress().getHostAddress()).isEqualTo("127.0.0.3");
            assertThat(https.port()).isPositive();
            assertThat(https.toString()).startsWith("TestHttpsServer{127.0.0.3:");
        }
    }
}

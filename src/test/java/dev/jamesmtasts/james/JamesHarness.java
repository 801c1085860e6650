package dev.jamesmtasts.james;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;

import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.GuiceJamesServer;
import org.apache.james.MemoryJamesConfiguration;
import org.apache.james.MemoryJamesServerMain;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.dnsservice.api.InMemoryDNSService;
import org.apache.james.modules.protocols.SmtpGuiceProbe;

/**
 * A real James 3.8.1 memory server, in-process, configured the way an administrator would: a
 * {@code conf/} directory written at test time with {@code extensions.properties} naming the
 * extension module and startable, {@code mta-sts.properties}, and a {@code mailetcontainer.xml}
 * whose transport processor uses {@link MtaStsRemoteDelivery}. DNS is James's
 * {@link InMemoryDNSService} (MX records may carry :port). The only test double is the policy
 * cache ({@link TestMtaStsModule}), unless a test names {@link RealBackendTestModule}.
 */
final class JamesHarness implements AutoCloseable {
    static final String LOCAL_DOMAIN = "james.local";

    final Path workDir;
    final InMemoryDNSService dns = new InMemoryDNSService();
    private final GuiceJamesServer server;

    /**
     * @param mailetParameters XML elements added inside the delivery mailet, e.g.
     *     {@code <mtaStsMode>report</mtaStsMode>}
     */
    JamesHarness(String mailetParameters) throws Exception {
        this(mailetParameters, "# test: defaults\ncache.backoff=5m\n");
    }

    /** As above with the given {@code mta-sts.properties} content. If the start fails, all is cleaned up. */
    JamesHarness(String mailetParameters, String mtaStsProperties) throws Exception {
        this(mailetContainer(mailetParameters), mtaStsProperties, true);
    }

    /** With a whole {@code mailetcontainer.xml}, the policy cache being the test double. */
    JamesHarness(String mailetContainerXml, String mtaStsProperties, boolean unused) throws Exception {
        this(mailetContainerXml, mtaStsProperties, TestMtaStsModule.class);
    }

    /**
     * With a whole {@code mailetcontainer.xml} and the extension module named in
     * {@code extensions.properties} ({@link RealBackendTestModule} for the real Cassandra-backed cache).
     */
    JamesHarness(String mailetContainerXml, String mtaStsProperties, Class<? extends com.google.inject.Module> extensionModule)
            throws Exception {
        this(mailetContainerXml, mtaStsProperties, extensionModule, java.util.Map.of(), binder -> { });
    }

    /**
     * As above, plus more files in {@code conf/} ({@code name -> content}, e.g. {@code cassandra.properties})
     * and a module added to the SERVER's injector (not the extension's), e.g. James's Cassandra session
     * wiring as the distributed app has it.
     */
    JamesHarness(String mailetContainerXml, String mtaStsProperties, Class<? extends com.google.inject.Module> extensionModule,
                 java.util.Map<String, String> moreConf, com.google.inject.Module serverModule) throws Exception {
        workDir = Files.createTempDirectory("james-mta-sts-");
        Path conf = Files.createDirectories(workDir.resolve("conf"));
        write(conf, "domainlist.xml", "<domainlist><autodetect>false</autodetect><autodetectIP>false</autodetectIP>"
                + "<defaultDomain>" + LOCAL_DOMAIN + "</defaultDomain><domainnames><domainname>" + LOCAL_DOMAIN
                + "</domainname></domainnames></domainlist>");
        write(conf, "dnsservice.xml", "<dnsservice><servers><server>127.0.0.1</server></servers>"
                + "<autodiscover>false</autodiscover><authoritative>false</authoritative>"
                + "<maxcachesize>50000</maxcachesize></dnsservice>");
        write(conf, "usersrepository.xml", "<usersrepository name=\"LocalUsers\"><algorithm>PBKDF2-SHA512</algorithm>"
                + "<enableVirtualHosting>true</enableVirtualHosting></usersrepository>");
        write(conf, "listeners.xml", "<listeners></listeners>");
        write(conf, "mailrepositorystore.xml", "<mailrepositorystore><defaultProtocol>memory</defaultProtocol>"
                + "<mailrepositories><mailrepository class=\"org.apache.james.mailrepository.memory.MemoryMailRepository\">"
                + "<protocols><protocol>memory</protocol></protocols></mailrepository></mailrepositories>"
                + "</mailrepositorystore>");
        // a jmxName per server: its handlers' MBeans are registered under it, and two servers may run in one JVM
        write(conf, "smtpserver.xml", "<smtpservers><smtpserver enabled=\"true\"><jmxName>smtpserver-" + workDir.getFileName() + "</jmxName>"
                + "<bind>127.0.0.1:0</bind><connectionBacklog>200</connectionBacklog>"
                + "<tls socketTLS=\"false\" startTLS=\"false\"/><connectiontimeout>360</connectiontimeout>"
                + "<connectionLimit>0</connectionLimit><connectionLimitPerIP>0</connectionLimitPerIP>"
                + "<authRequired>false</authRequired><authorizedAddresses>127.0.0.0/8</authorizedAddresses>"
                + "<verifyIdentity>false</verifyIdentity><maxmessagesize>0</maxmessagesize>"
                + "<addressBracketsEnforcement>true</addressBracketsEnforcement><smtpGreeting>james.local</smtpGreeting>"
                + "<handlerchain><handler class=\"org.apache.james.smtpserver.CoreCmdHandlerLoader\"/></handlerchain>"
                + "<gracefulShutdown>false</gracefulShutdown></smtpserver></smtpservers>");
        write(conf, "jmap.properties", "enabled=false\n");
        write(conf, "jmx.properties", "jmx.enabled=false\n");
        write(conf, "webadmin.properties", "enabled=true\nhost=127.0.0.1\nport=0\n"
                + "extensions.routes=org.apache.james.webadmin.dropwizard.MetricsRoutes," + MtaStsRoutes.class.getName() + "\n");
        write(conf, "extensions.properties", "guice.extension.module=" + extensionModule.getName() + "\n"
                + "guice.extension.startable=" + MtaStsStartable.class.getName() + "\n");
        write(conf, "mta-sts.properties", mtaStsProperties);
        write(conf, "mailetcontainer.xml", mailetContainerXml);
        for (java.util.Map.Entry<String, String> f : moreConf.entrySet()) {
            write(conf, f.getKey(), f.getValue());
        }

        // James resolves the authorizedAddresses network through its DNSService.
        // (InetNetworkBuilder turns 127.0.0.0/8 into 127.0.0.0/255.0.0.0 and resolves both parts).
        dns.registerRecord("127.0.0.0", InetAddress.getByName("127.0.0.0"), "localnet");
        dns.registerRecord("255.0.0.0", InetAddress.getByName("255.0.0.0"), "localmask");
        server = MemoryJamesServerMain.createServer(MemoryJamesConfiguration.builder()
                        .workingDirectory(workDir.toFile())
                        .build())
                .overrideWith(binder -> binder.bind(DNSService.class).toInstance(dns))
                .combineWith(serverModule);
        try {
            server.start();
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /**
     * {@code mta-sts.properties} for the extension as shipped against the real Cassandra node
     * ({@code keyspace}) and the testbed's DNS and HTTPS servers, trusting {@code trustStore}: no id
     * check interval, no refresher.
     */
    static String testbedProperties(String keyspace, dev.jamesmtasts.testing.MtaStsTestbed bed, Path trustStore) {
        return "cassandra.contactPoints=127.0.0.1:9042\n"
                + "cassandra.keyspace=" + keyspace + "\n"
                + "dns.resolvers=127.0.0.1:" + bed.dns().port() + "\n"
                + "dns.timeout=2s\n"
                + "fetch.port=" + bed.https().port() + "\n"
                + "fetch.timeout=10s\n"
                + "fetch.allowPrivateAddresses=true\n"
                + "fetch.trustStore=" + trustStore + "\n"
                + "fetch.trustStorePassword=" + dev.jamesmtasts.testing.TestCa.password() + "\n"
                + "cache.idCheckInterval=0s\n"
                + "refresher.enabled=false\n";
    }

    static String mailetContainer(String params) {
        return mailetContainerWithTransport("<mailet match=\"All\" class=\"" + MtaStsRemoteDelivery.class.getName() + "\">"
                + deliveryDefaults(params) + params + "</mailet>");
    }

    /**
     * The usual RemoteDelivery parameters of these tests, unless {@code params} sets them. DANE is off unless
     * {@code params} sets {@code <dane>}: its self-check would ask the system's resolvers (outside loopback)
     * when {@code dns.resolvers} is not set; DANE tests set it and the resolvers.
     */
    static String deliveryDefaults(String params) {
        return (params.contains("<dane>") ? "" : "<dane>off</dane>")
                + (params.contains("<outgoing>") ? "" : "<outgoing>outgoing</outgoing>")
                + (params.contains("<delayTime>") ? "" : "<delayTime>3*1000</delayTime>")
                + (params.contains("<maxRetries>") ? "" : "<maxRetries>2</maxRetries>")
                + "<maxDnsProblemRetries>0</maxDnsProblemRetries>"
                + "<connectiontimeout>5000</connectiontimeout><timeout>10000</timeout>"
                + "<sendpartial>true</sendpartial>"
                + "<heloName>" + LOCAL_DOMAIN + "</heloName>"
                + "<bounceProcessor>bounces</bounceProcessor>";
    }

    /** A mailet container whose transport processor ends with {@code deliveryMailets}. */
    static String mailetContainerWithTransport(String deliveryMailets) {
        return "<mailetcontainer enableJmx=\"false\">"
                + "<context><postmaster>postmaster@" + LOCAL_DOMAIN + "</postmaster></context>"
                + "<spooler><threads>4</threads><errorRepository>memory://var/mail/error/</errorRepository></spooler>"
                + "<processors enableJmx=\"false\">"
                + "<processor state=\"root\" enableJmx=\"false\">"
                + "<mailet match=\"RelayLimit=30\" class=\"Null\"/>"
                + "<mailet match=\"All\" class=\"ToProcessor\"><processor>transport</processor></mailet>"
                + "</processor>"
                + "<processor state=\"error\" enableJmx=\"false\">"
                + "<mailet match=\"All\" class=\"ToRepository\"><repositoryPath>memory://var/mail/error/</repositoryPath></mailet>"
                + "</processor>"
                + "<processor state=\"transport\" enableJmx=\"false\">"
                + "<mailet match=\"All\" class=\"RemoveMimeHeader\"><name>bcc</name></mailet>"
                + deliveryMailets
                + "</processor>"
                + "<processor state=\"bounces\" enableJmx=\"false\">"
                + "<mailet match=\"All\" class=\"DSNBounce\"><passThrough>false</passThrough></mailet>"
                + "</processor>"
                + "</processors></mailetcontainer>";
    }

    private static void write(Path dir, String name, String content) throws IOException {
        Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    /** Publishes {@code mxHost} (resolving to 127.0.0.1) as the MX of {@code domain}, at {@code port}. */
    void mx(String domain, String... mxHostPorts) throws Exception {
        java.util.List<String> mx = new java.util.ArrayList<>();
        for (String hp : mxHostPorts) {
            String host = hp.contains(":") ? hp.substring(0, hp.indexOf(':')) : hp;
            dns.registerRecord(host, InetAddress.getLoopbackAddress(), host);
            mx.add(hp);
        }
        dns.registerRecord(domain, java.util.List.of(InetAddress.getLoopbackAddress()), mx, java.util.List.of());
    }

    int webAdminPort() {
        return server.getProbe(org.apache.james.utils.WebAdminGuiceProbe.class).getWebAdminPort().getValue();
    }

    int smtpPort() {
        return server.getProbe(SmtpGuiceProbe.class).getSmtpPort().getValue();
    }

    /** Submits a message to James over SMTP (relay allowed from 127.0.0.0/8). */
    void send(String from, String subject, String... to) throws MessagingException {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", Integer.toString(smtpPort()));
        Session s = Session.getInstance(p);
        MimeMessage m = new MimeMessage(s);
        m.setFrom(new InternetAddress(from));
        for (String t : to) {
            m.addRecipient(Message.RecipientType.TO, new InternetAddress(t));
        }
        m.setSubject(subject);
        m.setText("MTA-STS test message: " + subject);
        Transport.send(m);
    }

    <T extends org.apache.james.utils.GuiceProbe> T probe(Class<T> type) {
        return server.getProbe(type);
    }

    @Override
    public void close() throws IOException {
        try {
            server.stop();
        } finally {
            try (Stream<Path> files = Files.walk(workDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}

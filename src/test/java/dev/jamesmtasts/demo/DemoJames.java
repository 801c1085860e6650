package dev.jamesmtasts.demo;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's James: writes the overlay configuration, starts and stops the server with
 * {@code bin/james-mta-sts} (a separate JVM, exactly as an administrator runs it), sends mail into it
 * over SMTP, and reads WebAdmin.
 */
final class DemoJames {
    /** Stock James. */
    static final String STOCK_MAILET = "RemoteDelivery";
    /** The project's drop-in replacement. */
    static final String MTA_STS_MAILET = "dev.jamesmtasts.james.MtaStsRemoteDelivery";

    static final String SMTP_HOST = "127.0.0.1";
    static final int SMTP_PORT = 2525;
    static final int WEBADMIN_PORT = 8000;
    static final int JMX_PORT = 9999;

    private final Path root;
    private final Path home;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** James's DNS cache size in {@code dnsservice.xml}: 0 (off) unless {@link #withJamesDnsCache()}. */
    private int dnsCacheEntries;

    /**
     * @param root the repository (holds bin/ and james-conf/)
     * @param home James's working directory (JAMES_MTA_STS_HOME)
     */
    DemoJames(Path root, Path home) {
        this.root = root;
        this.home = home;
    }

    /**
     * Keeps James's own DNS cache on, at James's default size (50,000 entries), for a run that changes no
     * record and should see what a deployed James sees: MX and address answers held for their TTL (300 s
     * in the simulated DNS). The demo's scenarios need it off (an MX change must show on the next attempt).
     */
    DemoJames withJamesDnsCache() {
        this.dnsCacheEntries = 50_000;
        return this;
    }

    Path log() {
        return home.resolve("james.log");
    }

    /**
     * Writes the overlay directory that {@code bin/james-mta-sts start --conf} lays over the base
     * configuration and james-conf/.
     *
     * @param mailet   the remote delivery mailet class
     * @param extraMailetParams more mailet parameters (XML elements), may be empty
     * @param trustStore the demo CA as PKCS12: James's JVM trust store (outbound STARTTLS) and the
     *                 extension's policy-fetch trust store
     */
    void writeOverlay(Path dir, String mailet, String extraMailetParams, Path trustStore, String keyspace,
                      int deliveryThreads, Map<String, String> extraProperties) throws IOException {
        Files.createDirectories(dir);
        // James's dnsservice.xml takes addresses only (port 53). maxcachesize 0 (the default here) turns off
        // James's DNS cache, so an MX change is seen on the next attempt (the records' TTL would otherwise hold it).
        Files.writeString(dir.resolve("dnsservice.xml"), "<?xml version=\"1.0\"?>\n"
                + "<!-- demo: the simulated internet's DNS server is the only resolver -->\n"
                + "<dnsservice>\n"
                + "  <servers><server>" + SimulatedInternet.DNS_ADDRESS + "</server></servers>\n"
                + "  <autodiscover>false</autodiscover>\n"
                + "  <authoritative>false</authoritative>\n"
                + "  <maxcachesize>" + dnsCacheEntries + "</maxcachesize>\n"
                + "</dnsservice>\n");
        Files.copy(trustStore, dir.resolve("truststore.p12"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("mailetcontainer.xml"), mailetContainer(mailet, extraMailetParams, deliveryThreads));
        Map<String, String> props = new LinkedHashMap<>();
        props.put("cassandra.contactPoints", "127.0.0.1:9042");
        props.put("cassandra.keyspace", keyspace);
        props.put("dns.resolvers", SimulatedInternet.DNS_ADDRESS + ":53");
        // Everything in the demo lives on 127.0.0.0/8: the guard against fetching policies from
        // private addresses (RFC 8461 §10.3's spirit) must be off here, and only here.
        props.put("fetch.allowPrivateAddresses", "true");
        props.put("fetch.trustStore", dir.resolve("truststore.p12").toAbsolutePath().toString());
        props.put("fetch.trustStorePassword", "changeit");
        props.put("fetch.trustStoreType", "PKCS12");
        props.putAll(extraProperties);
        webAdminWithMetrics(dir);
        if (Files.exists(root.resolve("james-conf/mta-sts.properties"))) {
            Files.writeString(dir.resolve("mta-sts.properties"), overlayProperties(props));
        }
    }

    /**
     * WebAdmin serves /metrics (James's Dropwizard metrics, the extension's among them, in Prometheus
     * format) only when its MetricsRoutes are named in webadmin.properties.
     */
    private void webAdminWithMetrics(Path dir) throws IOException {
        Path base = root.resolve("james-conf/webadmin.properties");
        if (!Files.exists(base)) {
            base = root.resolve("launcher/james/conf/webadmin.properties");
        }
        String text = Files.readString(base);
        if (!text.contains("extensions.routes")) {
            Files.writeString(dir.resolve("webadmin.properties"), text + (text.endsWith("\n") ? "" : "\n")
                    + "# demo: serve /metrics\nextensions.routes=org.apache.james.webadmin.dropwizard.MetricsRoutes\n");
        }
    }

    /** james-conf/mta-sts.properties with the given keys replaced (or appended). */
    private String overlayProperties(Map<String, String> props) throws IOException {
        Path base = root.resolve("james-conf/mta-sts.properties");
        List<String> lines = Files.exists(base) ? Files.readAllLines(base) : new ArrayList<>();
        Map<String, String> left = new LinkedHashMap<>(props);
        StringBuilder out = new StringBuilder("# james-conf/mta-sts.properties with the demo's values (bin/demo)\n");
        for (String line : lines) {
            String t = line.trim();
            int eq = t.indexOf('=');
            String key = eq > 0 && !t.startsWith("#") ? t.substring(0, eq).trim() : null;
            if (key != null && left.containsKey(key)) {
                out.append(key).append('=').append(left.remove(key)).append('\n');
            } else {
                out.append(line).append('\n');
            }
        }
        left.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
        return out.toString();
    }

    private static String mailetContainer(String mailet, String extraParams, int deliveryThreads) {
        return "<?xml version=\"1.0\"?>\n"
                + "<!-- demo mailet container (bin/demo): short retry delays so a held mail is retried within seconds -->\n"
                + "<mailetcontainer enableJmx=\"true\">\n"
                + "  <context><postmaster>postmaster@sender.example</postmaster></context>\n"
                + "  <spooler>\n    <threads>4</threads>\n    <errorRepository>memory://var/mail/error/</errorRepository>\n  </spooler>\n"
                + "  <processors>\n"
                + "    <processor state=\"root\" enableJmx=\"true\">\n"
                + "      <mailet match=\"RelayLimit=30\" class=\"ToProcessor\"><processor>error</processor></mailet>\n"
                + "      <mailet match=\"All\" class=\"ToProcessor\"><processor>transport</processor></mailet>\n"
                + "    </processor>\n"
                + "    <processor state=\"error\" enableJmx=\"true\">\n"
                + "      <mailet match=\"All\" class=\"ToRepository\"><repositoryPath>memory://var/mail/error/</repositoryPath></mailet>\n"
                + "    </processor>\n"
                + "    <processor state=\"transport\" enableJmx=\"true\">\n"
                + "      <mailet match=\"All\" class=\"RemoveMimeHeader\"><name>bcc</name></mailet>\n"
                + "      <mailet match=\"RecipientIsLocal\" class=\"ToRepository\"><repositoryPath>memory://var/mail/local/</repositoryPath></mailet>\n"
                + "      <mailet match=\"All\" class=\"" + mailet + "\">\n"
                + "        <outgoing>outgoing</outgoing>\n"
                + "        <delayTime>2 seconds</delayTime>\n"
                + "        <maxRetries>100</maxRetries>\n"
                + "        <maxDnsProblemRetries>100</maxDnsProblemRetries>\n"
                + "        <deliveryThreads>" + deliveryThreads + "</deliveryThreads>\n"
                + "        <connectiontimeout>5000</connectiontimeout>\n"
                + "        <timeout>30000</timeout>\n"
                + "        <sendpartial>true</sendpartial>\n"
                + "        <startTLS>true</startTLS>\n"
                + "        <verifyServerIdentity>true</verifyServerIdentity>\n"
                + "        <heloName>sender.example</heloName>\n"
                + "        <bounceProcessor>bounces</bounceProcessor>\n"
                + extraParams
                + "      </mailet>\n"
                + "    </processor>\n"
                + "    <processor state=\"bounces\" enableJmx=\"true\">\n"
                + "      <mailet match=\"All\" class=\"ToRepository\"><repositoryPath>memory://var/mail/bounces/</repositoryPath></mailet>\n"
                + "    </processor>\n"
                + "  </processors>\n"
                + "</mailetcontainer>\n";
    }

    /** Runs {@code bin/james-mta-sts start --conf overlay}; its progress lines go to our stderr. */
    void start(Path overlay) throws IOException, InterruptedException {
        start(overlay, Map.of());
    }

    /**
     * As {@link #start(Path)}, with more environment for bin/james-mta-sts (e.g. JAMES_READY_TIMEOUT:
     * how long it waits for /healthcheck before it gives up and stops James).
     */
    void start(Path overlay, Map<String, String> env) throws IOException, InterruptedException {
        int rc = run(List.of(root.resolve("bin/james-mta-sts").toString(), "start", "--conf", overlay.toString()), env);
        if (rc != 0) {
            throw new IOException("bin/james-mta-sts start failed (exit " + rc + "); see " + home);
        }
    }

    /** The pid of the running James (bin/james-mta-sts writes it to JAMES_MTA_STS_HOME/james.pid), or -1. */
    long pid() {
        return ProcessCpu.pidFrom(home.resolve("james.pid"));
    }

    void stop() throws IOException, InterruptedException {
        run(List.of(root.resolve("bin/james-mta-sts").toString(), "stop"), Map.of());
    }

    private int run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("JAMES_MTA_STS_HOME", home.toString());
        pb.environment().put("JAMES_HEAP", "768m");
        pb.environment().putAll(env);
        return pb.start().waitFor();
    }

    /** Runs a command with the demo's environment, returning its exit status and its output. */
    static Map.Entry<Integer, String> capture(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return Map.entry(p.waitFor(), out);
    }

    /** The JMX user and the password James generated for it in conf/jmxremote.password. */
    String[] jmxCredentials() throws IOException {
        Path file = home.resolve("conf/jmxremote.password");
        if (!Files.exists(file)) {
            return new String[] {"james-admin", ""};
        }
        String[] parts = Files.readString(file).trim().split("\\s+");
        return parts.length >= 2 ? new String[] {parts[0], parts[1]} : new String[] {"james-admin", ""};
    }

    /** GET a WebAdmin path; the body, or null when WebAdmin does not answer 200. */
    String webAdmin(String path) {
        return webAdmin(path, Duration.ofSeconds(10));
    }

    /** {@link #webAdmin(String)} waiting up to {@code timeout} (a domain check runs up to 30 s). */
    String webAdmin(String path, Duration timeout) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + WEBADMIN_PORT + path)).timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * POST to a WebAdmin path (no body): the status and the body, or status -1 and the error when
     * WebAdmin does not answer.
     */
    Map.Entry<Integer, String> webAdminPost(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + WEBADMIN_PORT + path)).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            return Map.entry(r.statusCode(), r.body());
        } catch (IOException e) {
            return Map.entry(-1, String.valueOf(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.entry(-1, "interrupted");
        }
    }

    /**
     * The number of mails in James's outgoing queue, waiting or being attempted (WebAdmin
     * {@code GET /mailQueues/outgoing}, its {@code size}), or -1 when WebAdmin does not answer. Unlike
     * listing the mails ({@link #queuedRecipients()}), this read leaves James 3.8.1's memory queue
     * running: the route takes one reference of the queue and releases one, where the listing releases
     * two and the queue's dequeuer is disposed when its count reaches 0.
     */
    long queueSize() {
        String body = webAdmin("/mailQueues/outgoing");
        if (body == null) {
            return -1;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"size\"\\s*:\\s*(\\d+)").matcher(body);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * Deletes the mails to {@code recipient} that wait in the outgoing queue (WebAdmin
     * {@code DELETE /mailQueues/outgoing/mails?recipient=...}, a task awaited through
     * {@code /tasks/ID/await}); a mail being attempted at that moment is not deleted. Returns the task's
     * answer, or null when WebAdmin refused the request.
     */
    String deleteQueued(String recipient) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + WEBADMIN_PORT
                    + "/mailQueues/outgoing/mails?recipient=" + java.net.URLEncoder.encode(recipient, StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(10)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            java.util.regex.Matcher id = java.util.regex.Pattern.compile("\"taskId\"\\s*:\\s*\"([^\"]+)\"").matcher(r.body());
            if (r.statusCode() != 201 || !id.find()) {
                return null;
            }
            return webAdmin("/tasks/" + id.group(1) + "/await");
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The recipients of the mails waiting in James's outgoing queue (WebAdmin /mailQueues/outgoing/mails). */
    List<String> queuedRecipients() {
        String body = webAdmin("/mailQueues/outgoing/mails");
        List<String> out = new ArrayList<>();
        if (body == null) {
            return out;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"recipients\"\\s*:\\s*\\[([^\\]]*)\\]").matcher(body);
        while (m.find()) {
            for (String r : m.group(1).split(",")) {
                String t = r.trim().replace("\"", "");
                if (!t.isEmpty()) {
                    out.add(t);
                }
            }
        }
        return out;
    }

    /** Lines of James's log that mention {@code needle}, the last {@code max} of them. */
    List<String> logLines(String needle, int max) {
        List<String> hits = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(log(), StandardCharsets.UTF_8)) {
                if (line.contains(needle) && !line.contains("SendMailHandler")) {
                    hits.add(line);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            return hits;
        }
        return hits.subList(Math.max(0, hits.size() - max), hits.size());
    }

    /** A minimal SMTP client: one connection, many mails, to James's SMTP listener. */
    static final class Smtp implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final BufferedWriter out;

        Smtp() throws IOException {
            socket = new Socket(SMTP_HOST, SMTP_PORT);
            socket.setSoTimeout(60_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = new BufferedWriter(new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.US_ASCII));
            expect(220);
            command("EHLO demo-client.sender.example", 250);
        }

        void send(String from, String to, String subject) throws IOException {
            command("MAIL FROM:<" + from + ">", 250);
            command("RCPT TO:<" + to + ">", 250);
            command("DATA", 354);
            out.write("From: <" + from + ">\r\nTo: <" + to + ">\r\nSubject: " + subject
                    + "\r\nMessage-ID: <" + System.nanoTime() + "@sender.example>\r\n\r\n"
                    + "Sent by bin/demo through James with MTA-STS.\r\n.\r\n");
            out.flush();
            expect(250);
        }

        private void command(String line, int code) throws IOException {
            out.write(line + "\r\n");
            out.flush();
            expect(code);
        }

        private void expect(int code) throws IOException {
            String line;
            do {
                line = in.readLine();
                if (line == null) {
                    throw new IOException("SMTP connection closed by James");
                }
            } while (line.length() > 3 && line.charAt(3) == '-');
            if (!line.startsWith(Integer.toString(code))) {
                throw new IOException("James answered '" + line + "', expected " + code);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                command("QUIT", 221);
            } finally {
                socket.close();
            }
        }
    }
}

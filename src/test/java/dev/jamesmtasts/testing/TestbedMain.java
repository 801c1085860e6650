package dev.jamesmtasts.testing;

import java.nio.file.Path;

import dev.jamesmtasts.testing.TestDnsServer.Fault;
import dev.jamesmtasts.testing.TestHttpsServer.Response;

/**
 * Runs an {@link MtaStsTestbed} in the foreground with a few sample domains, for trying
 * {@code bin/mta-sts} by hand (nothing leaves 127.0.0.1). Writes the test CA as PEM to the path given
 * as the first argument, prints the {@code bin/mta-sts lookup} options that reach the servers, and
 * serves until standard input is closed.
 *
 * <ul>
 *   <li>{@code good.example}: enforce policy; {@code testing.example}: testing policy</li>
 *   <li>{@code nothing.example}: no record; {@code broken.example}: record, policy host answers 500</li>
 *   <li>{@code flaky.example}: SERVFAIL for the record</li>
 * </ul>
 */
public final class TestbedMain {
    private TestbedMain() {
    }

    public static void main(String[] args) throws Exception {
        Path pem = Path.of(args.length > 0 ? args[0] : "target/testbed-ca.pem");
        try (MtaStsTestbed bed = MtaStsTestbed.start()) {
            bed.publish("good.example", "20240101", MtaStsTestbed.ENFORCE_POLICY);
            bed.publish("testing.example", "t1", "version: STSv1\nmode: testing\nmx: mx.testing.example\nmax_age: 604800\n");
            bed.dns().txt("_mta-sts.broken.example", "v=STSv1; id=b1;");
            bed.serve("broken.example", Response.status(500));
            bed.dns().fault("_mta-sts.flaky.example", Fault.SERVFAIL);
            bed.ca().writePem(pem);
            System.out.println("--resolver 127.0.0.1:" + bed.dns().port() + " --policy-port " + bed.https().port()
                    + " --trust-store " + pem + " --allow-private-addresses");
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until stdin closes
            }
        }
    }
}

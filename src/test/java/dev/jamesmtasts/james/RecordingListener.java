package dev.jamesmtasts.james;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** Collects every {@link DeliveryAttemptReport} of the James under test (bound by {@link TestMtaStsModule}). */
public final class RecordingListener implements DeliveryAttemptListener {
    static final List<DeliveryAttemptReport> REPORTS = new CopyOnWriteArrayList<>();

    @Override
    public void onAttempt(DeliveryAttemptReport report) {
        REPORTS.add(report);
    }

    /**
     * The reports of {@code domain} once the delivering attempt's report is among them. A receiver
     * records a message before its 250 reaches James, and the report follows that reply (and QUIT):
     * waiting for the receiver alone races with the report.
     */
    static List<DeliveryAttemptReport> awaitDelivered(String domain, java.time.Duration wait) {
        org.awaitility.Awaitility.await().atMost(wait).until(() -> forDomain(domain).stream()
                .anyMatch(r -> r.outcome() == DeliveryAttemptReport.DeliveryOutcome.DELIVERED));
        return forDomain(domain);
    }

    static List<DeliveryAttemptReport> forDomain(String domain) {
        return REPORTS.stream().filter(r -> r.domain().equals(domain)).collect(Collectors.toList());
    }
}

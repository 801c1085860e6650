package dev.jamesmtasts.james;

/**
 * Receives the {@link DeliveryAttemptReport} of every delivery attempt made by
 * {@link MtaStsRemoteDelivery}. Bind implementations with
 * {@code Multibinder.newSetBinder(binder(), DeliveryAttemptListener.class)} in an extension module;
 * TLS-RPT (RFC 8460) aggregation is the intended consumer.
 *
 * <p>Called on the delivery thread right after the attempt: implementations must be quick and must
 * not throw (a thrown exception is logged and ignored; it never changes the delivery outcome).
 */
public interface DeliveryAttemptListener {
    void onAttempt(DeliveryAttemptReport report);
}

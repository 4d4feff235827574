/**
 * The label layer: how a leaf device says which pool it belongs to, and where
 * that pool's newest state is.
 *
 * <p>Every leaf carries four labels ({@link org.tarn.engine.label.LabelLayout}),
 * each a checksummed {@link org.tarn.engine.label.LabelConfig} encoded as an
 * {@link org.tarn.engine.label.NvList} ({@link org.tarn.engine.label.Label})
 * and a ring of {@link org.tarn.engine.label.Uberblock}s.
 * {@link org.tarn.engine.label.LabelWriter} produces the writes, in the
 * crash-safe order explained at its top, without doing I/O;
 * {@link org.tarn.engine.label.LabelReader} reads a device into
 * {@link org.tarn.engine.label.DeviceLabels} without ever failing on what the
 * device holds; {@link org.tarn.engine.label.LabelDump} renders that like
 * {@code zdb -l}.
 */
package org.tarn.engine.label;

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelCompiler.Contract;
using ModelCompiler.Graph;

namespace ModelCompiler.Emit;

/// <summary>
/// The weight blob's layout: every constant tensor a kernel reads, in the order kernels asked for them,
/// each at a 64-byte aligned offset (cache-line and Vector512 aligned relative to the blob start).
/// The generator records offsets; the build-time CLI writes the same layout to the blob file.
/// Tensors are stored as ONNX holds them, except: int4/uint4 tensors that generic kernels read are stored
/// one element per byte (<see cref="AddPacked"/> keeps them packed for kernels that unpack nibbles), and a
/// float32 tensor with an <see cref="TensorEncoding"/> is stored in that compact form and decoded once by
/// generated code (see <see cref="Decoded"/>).
/// </summary>
internal sealed class WeightTable
{
    public const int Alignment = 64;
    public const int HeaderSize = 64;
    public static readonly byte[] Magic = { (byte)'M', (byte)'C', (byte)'W', (byte)'1' };

    private readonly List<(byte[] Bytes, long Offset)> _entries = new();
    private readonly Dictionary<Tensor, long> _offsets = new();
    private readonly Dictionary<Tensor, long> _packedOffsets = new();
    private readonly Dictionary<Tensor, DecodedWeight> _decoded = new();
    private readonly List<DecodedWeight> _decodedList = new();

    public long Length { get; private set; }
    public int Count => _entries.Count;

    /// <summary>Tensors generated code decodes once (float16 widened, integers dequantized), in registration order.</summary>
    public IReadOnlyList<DecodedWeight> Decoded => _decodedList;

    private readonly Dictionary<string, DerivedTable> _derived = new();
    private readonly List<DerivedTable> _derivedList = new();

    /// <summary>Tables a kernel derives from constant weights at run time, once, in registration order.</summary>
    public IReadOnlyList<DerivedTable> Derived => _derivedList;

    /// <summary>
    /// A <c>ReadOnlySpan&lt;int&gt;</c> expression over the table <paramref name="init"/> (a runtime call over weight
    /// spans returning <c>int[]</c>) computes on first use; the same call shares one table.
    /// </summary>
    public string DerivedInts(string init, string description)
    {
        if (_derived.TryGetValue(init, out var d)) return d.Property;
        string k = _derivedList.Count.ToString(CultureInfo.InvariantCulture);
        d = new DerivedTable("s_table" + k, "Table" + k, init, description);
        _derived.Add(init, d);
        _derivedList.Add(d);
        return d.Property;
    }

    /// <summary>Registers <paramref name="t"/> as generated code reads it element by element; returns its byte offset.</summary>
    public long Add(Tensor t)
    {
        if (_offsets.TryGetValue(t, out long existing)) return existing;
        long offset = Append(t.Type.IsSubByte() ? Unpacked(t) : t.Raw);
        _offsets.Add(t, offset);
        return offset;
    }

    /// <summary>Registers a sub-byte tensor exactly as ONNX packs it (two int4 per byte, low nibble first).</summary>
    public long AddPacked(Tensor t)
    {
        if (!t.Type.IsSubByte()) return Add(t);
        if (_packedOffsets.TryGetValue(t, out long existing)) return existing;
        long offset = Append(t.Raw);
        _packedOffsets.Add(t, offset);
        return offset;
    }

    /// <summary>
    /// A <c>ReadOnlySpan</c> expression over <paramref name="t"/>'s values for generated code: a view of the
    /// blob, or the decoded array of an encoded tensor.
    /// </summary>
    public string Span(Tensor t)
    {
        // A compact form is used only where it saves space (an int32 bias dequantized is no smaller than float32).
        if (t.Encoding is { } e && t.Type == DataType.Float && e.StoredBytes < t.Raw.Length) return Decode(t, e).Property;
        if (t.Encoding is null && t.Type == DataType.Float && MostlyZeros(t) is { } nonZeros) return nonZeros.Property;
        return $"W<{t.Type.CSharpName()}>({Literals.Int(Add(t))}, {Literals.Int(t.ElementCount)})";
    }

    /// <summary>A <c>ReadOnlySpan&lt;byte&gt;</c> expression over a sub-byte tensor's packed bytes.</summary>
    public string PackedSpan(Tensor t) =>
        t.Type.IsSubByte() ? $"W<byte>({Literals.Int(AddPacked(t))}, {Literals.Int(t.Raw.Length)})" : Span(t);

    /// <summary>A float32 tensor with at least this many elements may be stored as its non-zeros.</summary>
    public const int SparseStorageMinimumElements = 1024;

    /// <summary>
    /// A float32 tensor that is mostly exact zeros (a pruned layer that runs on a dense kernel, packed or not) is stored
    /// as its non-zeros (<see cref="SparseRowsFormat"/> with one row: values + one-byte gaps, 5 bytes an entry) where
    /// that takes at most half its bytes, and expanded once, on first use (<c>DecodedWeights.Unsparse</c>); else null.
    /// Trained dense weights have next to no exact zeros, so only pruned models (and padding-heavy layouts of them) change.
    /// </summary>
    private DecodedWeight? MostlyZeros(Tensor t)
    {
        if (t.ElementCount < SparseStorageMinimumElements || t.ElementCount > int.MaxValue) return null;
        if (_decoded.TryGetValue(t, out var d)) return d;
        var values = t.ToFloats();
        int n = values.Length;
        Func<int, int, long> at = (_, c) => c;
        long entries = SparseRowsFormat.Entries(values, 1, n, at);
        long stored = entries * 5;
        if (2 * stored > t.Raw.Length) return null;
        var (_, gapBytes, nonZeros) = SparseRowsFormat.Encode(values, 1, n, at);
        var gaps = new Tensor(DataType.UInt8, new[] { gapBytes.Length }, gapBytes);
        var kept = Kernels.WeightPacking.ToTensor(nonZeros);
        string field = "s_decoded" + _decodedList.Count.ToString(CultureInfo.InvariantCulture);
        string property = "Decoded" + _decodedList.Count.ToString(CultureInfo.InvariantCulture);
        string decode = $"{RuntimeText.Prefix}{RuntimeApi.DecodedWeights.Unsparse}(W<byte>({Literals.Int(Add(gaps))}, {Literals.Int(gaps.ElementCount)}), " +
            $"W<float>({Literals.Int(Add(kept))}, {Literals.Int(kept.ElementCount)}), length: {Literals.Int(n)})";
        string what = FormattableString.Invariant($"float32[{n}], {1 - (double)entries / n:P1} zeros, stored as its {entries} non-zeros + 1-byte gaps");
        d = new DecodedWeight(field, property, $"{RuntimeText.Prefix}{RuntimeApi.DecodedWeights.Publish}(ref {field}, {decode})", what, stored, t.Raw.Length, NonZeros: true);
        _decoded.Add(t, d);
        _decodedList.Add(d);
        return d;
    }

    private DecodedWeight Decode(Tensor t, TensorEncoding e)
    {
        if (_decoded.TryGetValue(t, out var d)) return d;
        int k = _decodedList.Count;
        string field = "s_decoded" + k.ToString(CultureInfo.InvariantCulture);
        string property = "Decoded" + k.ToString(CultureInfo.InvariantCulture);
        string decode; // an expression giving a new float[] of the decoded values
        string what;
        if (e.Quant is not { } q)
        {
            decode = $"{RuntimeText.Prefix}{RuntimeApi.DecodedWeights.Widen}(W<global::System.Half>({Literals.Int(Add(e.Source))}, {Literals.Int(e.Source.ElementCount)}))";
            what = $"float16[{ShapeText.Format(e.Source.Shape)}] widened to float32";
        }
        else
        {
            var src = e.Source;
            string values = src.Type.IsSubByte()
                ? $"W<byte>({Literals.Int(AddPacked(src))}, {Literals.Int(src.Raw.Length)}), signed: {(src.Type == DataType.Int4 ? "true" : "false")}"
                : $"W<{src.Type.CSharpName()}>({Literals.Int(Add(src))}, {Literals.Int(src.ElementCount)})";
            string scale = Span(q.Scale);
            string zpType = src.Type.CSharpName()!;
            string zp = q.ZeroPoint is { } z ? $"W<{zpType}>({Literals.Int(Add(z))}, {Literals.Int(z.ElementCount)})" : "default";
            var (outer, axisLength, inner) = QuantLayout(src.Shape, q);
            string method = src.Type.IsSubByte() ? RuntimeApi.DecodedWeights.DequantizePacked4 : RuntimeApi.DecodedWeights.Dequantize;
            decode = $"{RuntimeText.Prefix}{method}({values}, {scale}, {zp}, outer: {outer}, axisLength: {axisLength}, inner: {inner}, blockSize: {q.BlockSize})";
            string how = q.IsPerTensor ? "per tensor" : q.BlockSize > 0 ? $"axis {q.Axis}, blocks of {q.BlockSize}" : $"per channel on axis {q.Axis}";
            what = $"{src.Type.OnnxName()}[{ShapeText.Format(src.Shape)}] dequantized ({how})";
        }
        if (e.Layout is { } layout)
        {
            decode = $"{RuntimeText.Prefix}{nameof(Contract.WeightLayouts)}.{layout.Method}({decode}, {layout.Arguments})";
            what += ", " + layout.Description;
        }
        string init = $"{RuntimeText.Prefix}{RuntimeApi.DecodedWeights.Publish}(ref {field}, {decode})";
        d = new DecodedWeight(field, property, init, what, e.StoredBytes, t.Raw.Length);
        _decoded.Add(t, d);
        _decodedList.Add(d);
        return d;
    }

    /// <summary>(outer, axis length, inner) of a DequantizeLinear layout; per tensor is (1, 1, n).</summary>
    public static (int Outer, int AxisLength, int Inner) QuantLayout(int[] shape, QuantParams q)
    {
        if (q.IsPerTensor && q.BlockSize == 0) return (1, 1, (int)ShapeText.Product(shape));
        int axis = q.Axis ?? 1;
        int outer = (int)ShapeText.Product(shape.Take(axis).ToArray());
        int inner = (int)ShapeText.Product(shape.Skip(axis + 1).ToArray());
        return (outer, shape[axis], inner);
    }

    private long Append(byte[] bytes)
    {
        long offset = (Length + Alignment - 1) / Alignment * Alignment;
        _entries.Add((bytes, offset));
        Length = offset + bytes.Length;
        return offset;
    }

    private static byte[] Unpacked(Tensor t)
    {
        var bytes = new byte[t.ElementCount];
        for (long i = 0; i < bytes.Length; i++) bytes[i] = unchecked((byte)(t.Type.IsRawBitsFloat() ? t.RawBits(i) : t.GetLong(i)));
        return bytes;
    }

    /// <summary>Header (magic, header size, payload length, fingerprint) followed by the payload.</summary>
    public void WriteTo(Stream stream, byte[] fingerprint)
    {
        var header = new byte[HeaderSize];
        Array.Copy(Magic, header, 4);
        BitConverter.GetBytes((uint)HeaderSize).CopyTo(header, 4);
        BitConverter.GetBytes((ulong)Length).CopyTo(header, 8);
        Array.Copy(fingerprint, 0, header, 16, Math.Min(16, fingerprint.Length));
        stream.Write(header, 0, header.Length);
        long position = 0;
        var padding = new byte[Alignment];
        foreach (var (bytes, offset) in _entries)
        {
            stream.Write(padding, 0, (int)(offset - position));
            stream.Write(bytes, 0, bytes.Length);
            position = offset + bytes.Length;
        }
    }
}

/// <summary>
/// A weight that generated code decodes once into a static float array: <see cref="Field"/> caches it,
/// <see cref="Property"/> is the span layers read, <see cref="Init"/> the runtime call that fills the cache.
/// </summary>
internal sealed record DecodedWeight(string Field, string Property, string Init, string Description, long StoredBytes, long DecodedBytes, bool NonZeros = false);

/// <summary>
/// An int table a kernel derives from constant weights (a layout its run-time kernel would otherwise build on every
/// call): <see cref="Field"/> caches it, <see cref="Property"/> is the span the layer passes, <see cref="Init"/> the
/// runtime call that makes it. Nothing is added to the blob.
/// </summary>
internal sealed record DerivedTable(string Field, string Property, string Init, string Description);

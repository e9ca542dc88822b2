using System;
using System.Collections.Generic;
using System.IO;
using ModelCompiler.Graph;

namespace ModelCompiler.Emit;

/// <summary>
/// The weight blob's layout: every constant tensor a kernel reads, in the order kernels asked for them,
/// each at a 64-byte aligned offset (cache-line and Vector512 aligned relative to the blob start).
/// The generator records offsets; the build-time CLI writes the same layout to the blob file.
/// </summary>
internal sealed class WeightTable
{
    public const int Alignment = 64;
    public const int HeaderSize = 64;
    public static readonly byte[] Magic = { (byte)'M', (byte)'C', (byte)'W', (byte)'1' };

    private readonly List<(Tensor Tensor, long Offset)> _entries = new();
    private readonly Dictionary<Tensor, long> _offsets = new();

    public long Length { get; private set; }
    public int Count => _entries.Count;

    public long Add(Tensor t)
    {
        if (_offsets.TryGetValue(t, out long existing)) return existing;
        long offset = (Length + Alignment - 1) / Alignment * Alignment;
        _entries.Add((t, offset));
        _offsets.Add(t, offset);
        Length = offset + t.Raw.Length;
        return offset;
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
        foreach (var (tensor, offset) in _entries)
        {
            stream.Write(padding, 0, (int)(offset - position));
            stream.Write(tensor.Raw, 0, tensor.Raw.Length);
            position = offset + tensor.Raw.Length;
        }
    }
}

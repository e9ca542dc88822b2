using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using ModelCompiler.Graph;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Reads NumPy's .npy files (format versions 1-3: magic, little-endian header length, a Python-dict header
/// with 'descr', 'fortran_order' and 'shape', then the raw data) and .npz archives (a zip of .npy files,
/// stored or deflated). Handles the dtypes test fixtures use: float16/32/64, int8-64, uint8-64 and bool,
/// little-endian or byte-order-free, C order.
/// </summary>
public static class Npy
{
    private static readonly byte[] s_magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    /// <summary>The arrays of an .npz file by name (without the .npy extension), in archive order.</summary>
    public static IReadOnlyList<TestTensor> ReadNpz(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var result = new List<TestTensor>();
        foreach (var entry in zip.Entries)
        {
            if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal)) continue;
            using var stream = entry.Open();
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            result.Add(Read(memory.ToArray(), entry.FullName.Substring(0, entry.FullName.Length - 4)));
        }
        return result;
    }

    public static TestTensor Read(string path) => Read(File.ReadAllBytes(path), Path.GetFileNameWithoutExtension(path));

    public static TestTensor Read(byte[] bytes, string name)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(s_magic))
            throw new InvalidDataException($"{name}: not a .npy file");
        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1) { headerLength = BitConverter.ToUInt16(bytes, 8); headerStart = 10; }
        else if (major is 2 or 3) { headerLength = (int)BitConverter.ToUInt32(bytes, 8); headerStart = 12; }
        else throw new InvalidDataException($"{name}: .npy format version {major} is not supported");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.ASCII).GetString(bytes, headerStart, headerLength);
        string descr = Match(header, @"'descr'\s*:\s*'([^']*)'", name, "descr");
        string fortran = Match(header, @"'fortran_order'\s*:\s*(True|False)", name, "fortran_order");
        string shapeText = Match(header, @"'shape'\s*:\s*\(([^)]*)\)", name, "shape");
        if (fortran == "True") throw new InvalidDataException($"{name}: Fortran-order arrays are not supported");
        int[] shape = shapeText.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.Parse(s.Trim(), CultureInfo.InvariantCulture)).ToArray();
        long count = shape.Aggregate(1L, (a, d) => a * d);

        if (descr.Length < 2 || descr[0] == '>' && descr.Substring(1) is not ("i1" or "u1" or "b1"))
            throw new InvalidDataException($"{name}: dtype '{descr}' (big-endian or unknown) is not supported");
        string kind = descr.Substring(1);
        var data = bytes.AsSpan(headerStart + headerLength);
        (DataType type, Array array) = kind switch
        {
            "f2" => (DataType.Float16, (Array)Cast<Half>(data, count)),
            "f4" => (DataType.Float, Cast<float>(data, count)),
            "f8" => (DataType.Double, Cast<double>(data, count)),
            "i1" => (DataType.Int8, Cast<sbyte>(data, count)),
            "u1" => (DataType.UInt8, Cast<byte>(data, count)),
            "i2" => (DataType.Int16, Cast<short>(data, count)),
            "u2" => (DataType.UInt16, Cast<ushort>(data, count)),
            "i4" => (DataType.Int32, Cast<int>(data, count)),
            "u4" => (DataType.UInt32, Cast<uint>(data, count)),
            "i8" => (DataType.Int64, Cast<long>(data, count)),
            "u8" => (DataType.UInt64, Cast<ulong>(data, count)),
            "b1" => (DataType.Bool, Cast<byte>(data, count).Select(b => b != 0).ToArray()),
            _ => throw new InvalidDataException($"{name}: dtype '{descr}' is not supported"),
        };
        return new TestTensor(name, (int)type, shape, array);
    }

    private static T[] Cast<T>(ReadOnlySpan<byte> data, long count) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        if (data.Length < count * size) throw new InvalidDataException($"expected {count} elements of {size} bytes, found {data.Length} bytes");
        return MemoryMarshal.Cast<byte, T>(data.Slice(0, (int)(count * size))).ToArray();
    }

    private static string Match(string header, string pattern, string name, string key)
    {
        var m = Regex.Match(header, pattern);
        if (!m.Success) throw new InvalidDataException($"{name}: .npy header has no '{key}': {header}");
        return m.Groups[1].Value;
    }
}

using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace ModelCompiler.Tool.Data;

/// <summary>
/// NumPy .npy files (format 1.0-3.0): magic, header length, a Python-dict header ('descr', 'fortran_order',
/// 'shape'), raw C-order data. Reads float and integer dtypes (little-endian) into float64 or int64; writes float32.
/// </summary>
internal static class NpyFile
{
    private static readonly byte[] s_magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    public sealed record Array(int[] Shape, string Dtype, double[] Values);

    public static Array Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ToolException($"cannot read {path}: {e.Message}"); }
        string name = Path.GetFileName(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(s_magic)) throw new ToolException($"{name} is not a .npy file (no NumPy magic)");
        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1) { headerLength = BitConverter.ToUInt16(bytes, 8); headerStart = 10; }
        else if (major is 2 or 3 && bytes.Length >= 12) { headerLength = (int)BitConverter.ToUInt32(bytes, 8); headerStart = 12; }
        else throw new ToolException($"{name}: .npy format version {major} is not supported");
        if (headerStart + (long)headerLength > bytes.Length) throw new ToolException($"{name}: truncated .npy header");
        string header = Encoding.UTF8.GetString(bytes, headerStart, headerLength);
        string descr = Field(header, @"'descr'\s*:\s*'([^']*)'", name, "descr");
        if (Field(header, @"'fortran_order'\s*:\s*(True|False)", name, "fortran_order") == "True")
            throw new ToolException($"{name}: Fortran-order arrays are not supported (save with numpy.ascontiguousarray)");
        int[] shape = Field(header, @"'shape'\s*:\s*\(([^)]*)\)", name, "shape")
            .Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s.Trim(), CultureInfo.InvariantCulture)).ToArray();
        long count = shape.Aggregate(1L, (a, d) => a * d);
        if (descr.Length < 3 || descr[0] == '>' && descr.Substring(1) is not ("i1" or "u1" or "b1"))
            throw new ToolException($"{name}: dtype '{descr}' is not supported (little-endian float16/32/64, int8-64, uint8-64 or bool)");
        var data = bytes.AsSpan(headerStart + headerLength);
        string kind = descr.Substring(1);
        double[] values = kind switch
        {
            "f2" => Cast<Half>(data, count, name).Select(v => (double)v).ToArray(),
            "f4" => Cast<float>(data, count, name).Select(v => (double)v).ToArray(),
            "f8" => Cast<double>(data, count, name),
            "i1" => Cast<sbyte>(data, count, name).Select(v => (double)v).ToArray(),
            "u1" or "b1" => Cast<byte>(data, count, name).Select(v => (double)v).ToArray(),
            "i2" => Cast<short>(data, count, name).Select(v => (double)v).ToArray(),
            "u2" => Cast<ushort>(data, count, name).Select(v => (double)v).ToArray(),
            "i4" => Cast<int>(data, count, name).Select(v => (double)v).ToArray(),
            "u4" => Cast<uint>(data, count, name).Select(v => (double)v).ToArray(),
            "i8" => Cast<long>(data, count, name).Select(v => (double)v).ToArray(),
            "u8" => Cast<ulong>(data, count, name).Select(v => (double)v).ToArray(),
            _ => throw new ToolException($"{name}: dtype '{descr}' is not supported"),
        };
        return new Array(shape, kind, values);
    }

    /// <summary>Writes float32 values as a version 1.0 .npy file.</summary>
    public static void WriteFloat32(string path, int[] shape, float[] values)
    {
        string dims = shape.Length == 1 ? shape[0].ToString(CultureInfo.InvariantCulture) + "," : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
        int total = 10 + header.Length + 1;
        header += new string(' ', (64 - total % 64) % 64) + "\n";
        using var stream = File.Create(path);
        stream.Write(s_magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static T[] Cast<T>(ReadOnlySpan<byte> data, long count, string name) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        if (data.Length < count * size) throw new ToolException($"{name}: the header promises {count} elements of {size} bytes but the file holds {data.Length} bytes of data");
        return MemoryMarshal.Cast<byte, T>(data.Slice(0, (int)(count * size))).ToArray();
    }

    private static string Field(string header, string pattern, string name, string key)
    {
        var m = Regex.Match(header, pattern);
        if (!m.Success) throw new ToolException($"{name}: the .npy header has no '{key}': {header.Trim()}");
        return m.Groups[1].Value;
    }
}

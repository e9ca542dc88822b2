using System;
using ModelCompiler.Contract;
using ModelCompiler.Graph;

namespace ModelCompiler.Kernels;

/// <summary>
/// Build-time packing of constant weights into a kernel's layout (<see cref="WeightLayouts"/>, the contract the run-time
/// kernels read), as tensors the weight blob stores.
/// </summary>
internal static class WeightPacking
{
    /// <summary>
    /// Packs a constant with <paramref name="pack"/>. A constant the blob keeps compactly (float16, quantized
    /// integers) stays compact: the packed tensor carries the constant's encoding plus <paramref name="layout"/>,
    /// and generated code decodes and packs it on first use, so the assembly holds neither float32 copies nor
    /// padding. (The float values are still computed here for constant folding and checks.)
    /// </summary>
    public static Tensor Pack(Tensor constant, Func<float[], float[]> pack, WeightLayout layout)
    {
        var floats = ToTensor(pack(constant.ToFloats()));
        return constant.Encoding is { Layout: null } e ? floats.WithEncoding(e.WithLayout(layout)) : floats;
    }

    /// <summary>A float32 tensor of shape [length] holding <paramref name="values"/>.</summary>
    public static Tensor ToTensor(float[] values)
    {
        var raw = new byte[(long)values.Length * 4];
        if (BitConverter.IsLittleEndian)
        {
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                byte[] b = BitConverter.GetBytes(values[i]);
                Array.Reverse(b);
                Array.Copy(b, 0, raw, (long)i * 4, 4);
            }
        }
        return new Tensor(DataType.Float, new[] { values.Length }, raw);
    }
}

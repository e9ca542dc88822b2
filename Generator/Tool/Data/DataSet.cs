using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelCompiler.Graph;

namespace ModelCompiler.Tool.Data;

/// <summary>The model input that DATA feeds: its name and static shape (batch included, e.g. [1, 3, 224, 224]).</summary>
internal sealed record ModelInput(string Name, int[] Shape)
{
    public int Length => (int)ModelCompiler.Graph.ShapeText.Product(Shape);
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// Samples for the model's input, one float array of the input's length each. DATA is a .npy file (float, first axis
/// = samples, the rest = the input's shape, with or without its leading batch dimension of 1), raw float32 .bin
/// (samples back to back), or a folder of images (see <see cref="ImageFolder"/>).
/// </summary>
internal sealed class DataSet
{
    public DataSet(string source, IReadOnlyList<float[]> samples)
    {
        Source = source;
        Samples = samples;
    }

    public string Source { get; }
    public IReadOnlyList<float[]> Samples { get; }
    public int Count => Samples.Count;

    public static DataSet Load(string path, ModelInput input, ImageOptions image, int maxSamples = int.MaxValue)
    {
        if (Directory.Exists(path)) return new DataSet(path, ImageFolder.Load(path, input, image, maxSamples));
        if (!File.Exists(path)) throw new ToolException($"data '{path}' does not exist");
        string name = Path.GetFileName(path);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        List<float[]> samples;
        if (ext == ".npy")
        {
            var array = NpyFile.Read(path);
            if (array.Dtype is not ("f2" or "f4" or "f8"))
                throw new ToolException($"{name} holds {array.Dtype} values; DATA must be float (float32), first axis = samples");
            int[] sample = array.Shape.Skip(1).ToArray();
            bool fits = array.Shape.Length >= 1 && (sample.SequenceEqual(input.Shape) || input.Shape.Length > 0 && input.Shape[0] == 1 && sample.SequenceEqual(input.Shape.Skip(1)));
            if (!fits)
                throw new ToolException($"{name} has shape [{string.Join(", ", array.Shape)}]: samples of [{string.Join(", ", sample)}], but the model input '{input.Name}' is {input.ShapeText}; "
                    + $"DATA must be [samples, {string.Join(", ", input.Shape.SkipWhile((d, i) => i == 0 && d == 1))}]");
            int n = array.Shape[0];
            samples = new List<float[]>(Math.Min(n, maxSamples));
            for (int s = 0; s < n && s < maxSamples; s++)
            {
                var x = new float[input.Length];
                for (int i = 0; i < x.Length; i++) x[i] = (float)array.Values[(long)s * input.Length + i];
                samples.Add(x);
            }
        }
        else if (ext == ".bin" || ext == ".raw")
        {
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ToolException($"cannot read {path}: {e.Message}"); }
            long sampleBytes = 4L * input.Length;
            if (bytes.Length == 0 || bytes.Length % sampleBytes != 0)
                throw new ToolException($"{name} has {bytes.Length} bytes, not a whole number of float32 samples of the input '{input.Name}' {input.ShapeText} ({sampleBytes} bytes each)");
            int n = (int)(bytes.Length / sampleBytes);
            samples = new List<float[]>();
            for (int s = 0; s < n && s < maxSamples; s++)
            {
                var x = new float[input.Length];
                Buffer.BlockCopy(bytes, (int)(s * sampleBytes), x, 0, (int)sampleBytes);
                samples.Add(x);
            }
        }
        else throw new ToolException($"{name}: DATA must be a .npy file, a raw float32 .bin file or a folder of images");
        if (samples.Count == 0) throw new ToolException($"{name} holds no samples");
        if (samples.Any(x => x.Any(v => !float.IsFinite(v)))) throw new ToolException($"{name} holds NaN or infinite values");
        return new DataSet(path, samples);
    }

    /// <summary>Integer class labels, one per sample: a .npy of integers, or raw little-endian int32 (.bin).</summary>
    public static int[] LoadLabels(string path, int expectedCount)
    {
        string name = Path.GetFileName(path);
        if (Path.GetExtension(path).Equals(".bin", StringComparison.OrdinalIgnoreCase))
        {
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ToolException($"cannot read {path}: {e.Message}"); }
            if (bytes.Length % 4 != 0 || bytes.Length / 4 < expectedCount)
                throw new ToolException($"{name} has {bytes.Length} bytes: not {expectedCount} int32 labels");
            var raw = new int[bytes.Length / 4];
            Buffer.BlockCopy(bytes, 0, raw, 0, bytes.Length);
            return raw.Take(expectedCount).ToArray();
        }
        var array = NpyFile.Read(path);
        if (array.Dtype.StartsWith("f", StringComparison.Ordinal))
            throw new ToolException($"{name} holds floats; LABELS must be a .npy of integers (class indices)");
        if (array.Values.Length < expectedCount)
            throw new ToolException($"{name} has {array.Values.Length} labels for {expectedCount} samples");
        return array.Values.Take(expectedCount).Select(v => (int)v).ToArray();
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using ModelCompiler.Tests.Infrastructure;
using Spectre.Console;
using Xunit;

namespace ModelCompiler.Tests.Tool;

/// <summary>
/// Runs modelc commands in process (the tool's <c>Program.Run</c> with its own writers) and checks what they write:
/// every model a command writes must load and run in ONNX Runtime and compile and run through ModelCompiler.
/// </summary>
internal static class ToolHarness
{
    public sealed record Outcome(int ExitCode, string Out, string Err)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    public static Outcome Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 200;
        int code = ModelCompiler.Tool.Program.Run(args, console, output, error);
        return new Outcome(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs and asserts success, returning the outcome.</summary>
    public static Outcome Ok(params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode == 0, "modelc " + string.Join(" ", args) + " failed:\n" + r);
        return r;
    }

    /// <summary>A fresh folder under the system temp folder, removed on dispose.</summary>
    public sealed class TempFolder : IDisposable
    {
        public TempFolder() => Directory.CreateDirectory(Path);
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "modelc-tests-" + Guid.NewGuid().ToString("N")[..12]);
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public string Write(string name, byte[] bytes)
        {
            string p = File(name);
            System.IO.File.WriteAllBytes(p, bytes);
            return p;
        }
        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A .npy file (format 1.0, written here independently of the tool's reader).</summary>
    public static void WriteNpy(string path, string descr, int[] shape, byte[] data)
    {
        string dims = shape.Length == 1 ? shape[0] + "," : string.Join(", ", shape);
        string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
        header += new string(' ', (64 - (10 + header.Length + 1) % 64) % 64) + "\n";
        using var s = System.IO.File.Create(path);
        s.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 });
        s.Write(BitConverter.GetBytes((ushort)header.Length));
        s.Write(Encoding.ASCII.GetBytes(header));
        s.Write(data);
    }

    public static void WriteFloatNpy(string path, int[] shape, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        WriteNpy(path, "<f4", shape, bytes);
    }

    public static void WriteLabelsNpy(string path, int[] labels)
    {
        var bytes = new byte[labels.Length * 4];
        Buffer.BlockCopy(labels, 0, bytes, 0, bytes.Length);
        WriteNpy(path, "<i4", new[] { labels.Length }, bytes);
    }

    /// <summary>Seeded uniform values in [lo, hi).</summary>
    public static float[] Random(int count, int seed, float lo = 0, float hi = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => lo + (float)r.NextDouble() * (hi - lo)).ToArray();
    }

    /// <summary>ONNX Runtime's outputs (first output) for each sample; optimizations on lets it fuse QDQ groups as it does in production.</summary>
    public static float[][] Ort(byte[] model, int[] inputShape, IEnumerable<float[]> samples, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_DISABLE_ALL) =>
        samples.Select(x => (float[])OrtReference.RunTyped(model, new[] { new TestTensor("x", (int)ModelCompiler.Graph.DataType.Float, inputShape, x) }, level)[0].Data).ToArray();

    /// <summary>ModelCompiler's outputs (first output) for each sample, compiled once.</summary>
    public static float[][] Compiled(byte[] model, IEnumerable<float[]> samples)
    {
        var compiled = TypedModel.Compile(model, "Tool");
        return samples.Select(x => (float[])compiled.RunTyped(new Array[] { x })[0].Data).ToArray();
    }

    /// <summary>
    /// The written model loads and runs in ONNX Runtime, compiles through ModelCompiler, and the compiled outputs agree
    /// with ONNX Runtime's on every sample within <c>atol + rtol * |ort|</c>.
    /// </summary>
    public static void RunsInOrtAndCompiler(string path, int[] inputShape, IReadOnlyList<float[]> samples, double rtol = 1e-4, double atol = 1e-5, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_DISABLE_ALL)
    {
        byte[] model = System.IO.File.ReadAllBytes(path);
        var ort = Ort(model, inputShape, samples, level);
        var ours = Compiled(model, samples);
        for (int i = 0; i < samples.Count; i++)
            Compare.Close(ort[i], ours[i], rtol, atol, $"{System.IO.Path.GetFileName(path)} sample {i}: ModelCompiler vs ONNX Runtime");
    }

    public static ModelCompiler.Onnx.Proto.ModelProto Load(string path) => ModelCompiler.Onnx.Proto.ModelProto.Parser.ParseFrom(System.IO.File.ReadAllBytes(path));

    public static float[] Floats(ModelCompiler.Onnx.Proto.TensorProto t) => ModelCompiler.Onnx.TensorReader.Read(t).ToFloats();
}

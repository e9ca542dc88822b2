using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace ModelCompiler.Benchmarks;

/// <summary>
/// <c>--ort-layers [--top N] [--seconds S] [--model TEXT]</c>: ONNX Runtime's own breakdown of each model by node
/// (SessionOptions.EnableProfiling, the benchmark's session settings), to set beside <c>--layers</c>. ONNX Runtime
/// renames nodes it transforms (a "_token_N" suffix) and fuses some, so the names match ours only roughly; and
/// profiling adds a little time per node, so compare layers and shares, not the total with the benchmark's time.
/// The warm-up calls (half as long as the measured ones, at least a second) are left out of the averages.
/// </summary>
public static class OrtLayerProfile
{
    public static int Run(string[] args)
    {
        int top = LayerProfile.Option(args, "--top", 5);
        double seconds = LayerProfile.Option(args, "--seconds", 3);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var type in LayerProfile.Models(args))
        {
            var bench = (ModelBenchmark)Activator.CreateInstance(type)!;
            var model = (ModelAttribute)type.GetCustomAttributes(typeof(ModelAttribute), false)[0];
            string file = bench.ProfileOnnxRuntime(Math.Max(1, seconds / 2), seconds, out int warmUp, out int calls);
            var nodes = new Dictionary<string, (string Op, double Microseconds, int Count)>();
            using (var doc = JsonDocument.Parse(File.ReadAllText(file)))
            {
                foreach (var e in doc.RootElement.EnumerateArray())
                {
                    if (e.GetProperty("cat").GetString() != "Node") continue;
                    string name = e.GetProperty("name").GetString()!;
                    if (!name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                    name = name[..^"_kernel_time".Length];
                    string op = e.GetProperty("args").GetProperty("op_name").GetString()!;
                    (string Op, double Microseconds, int Count) seen = nodes.TryGetValue(name, out var n) ? n : (op, 0.0, 0);
                    // Every node runs once per call: its first records are the warm-up calls.
                    nodes[name] = seen.Count < warmUp ? (op, 0, seen.Count + 1) : (op, seen.Microseconds + e.GetProperty("dur").GetInt64(), seen.Count + 1);
                }
            }
            File.Delete(file);
            double total = nodes.Values.Sum(n => n.Microseconds);
            Console.WriteLine();
            Console.WriteLine(string.Format(inv, "{0}, ONNX Runtime: {1} calls, {2:0.000} ms per call in nodes (profiled)", model.Name, calls, total / calls / 1e3));
            Console.WriteLine("| node | op | time per call | share |");
            Console.WriteLine("|---|---|---:|---:|");
            foreach (var (name, n) in nodes.OrderByDescending(kv => kv.Value.Microseconds).Take(top).Select(kv => (kv.Key, kv.Value)))
                Console.WriteLine(string.Format(inv, "| {0} | {1} | {2:0.0} us | {3:0.0}% |", name, n.Op, n.Microseconds / calls, 100 * n.Microseconds / total));
        }
        return 0;
    }
}

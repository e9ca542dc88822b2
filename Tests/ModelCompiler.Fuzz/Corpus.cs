using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace ModelCompiler.Fuzz;

/// <summary>A model the fuzzer starts from: its name (path relative to the corpus root) and where its bytes are.</summary>
internal sealed class SeedModel
{
    private readonly byte[]? _bytes;

    public SeedModel(string name, string? path, byte[]? bytes = null)
    {
        Name = name;
        Path = path;
        _bytes = bytes;
    }

    public string Name { get; }

    /// <summary>The file on disk; null for the built-in seeds.</summary>
    public string? Path { get; }

    /// <summary>The folder external data is resolved against (the model's own folder); null for built-in seeds.</summary>
    public string? Directory => Path is null ? null : System.IO.Path.GetDirectoryName(Path);

    /// <summary>Read on demand (not cached: the corpus holds thousands of files, some of 14 MB).</summary>
    public byte[] ReadBytes() => _bytes ?? File.ReadAllBytes(Path!);
}

/// <summary>
/// The seed models: every .onnx file under the shared test material, in ordinal path order so that a case
/// index names the same seed on every machine, split into small operator models (ONNX node tests, op fixtures)
/// and real networks (models/), which are picked equally often. Without ../shared the built-in seeds stand in.
/// </summary>
internal sealed class Corpus
{
    private Corpus(string description, IReadOnlyList<SeedModel> small, IReadOnlyList<SeedModel> real)
    {
        Description = description;
        Small = small;
        Real = real;
    }

    public string Description { get; }
    public IReadOnlyList<SeedModel> Small { get; }
    public IReadOnlyList<SeedModel> Real { get; }
    public int Count => Small.Count + Real.Count;

    public static Corpus Load(string? root, long maxBytes)
    {
        if (root is null || !System.IO.Directory.Exists(root))
        {
            var builtIn = BuiltInSeeds.All();
            return new Corpus($"{builtIn.Count} built-in seed models (no shared test material at '{root}')", builtIn, builtIn);
        }
        var files = System.IO.Directory.EnumerateFiles(root, "*.onnx", SearchOption.AllDirectories)
            .Select(f => (Full: f, Rel: System.IO.Path.GetRelativePath(root, f).Replace('\\', '/')))
            .Where(f => new FileInfo(f.Full).Length <= maxBytes)
            .OrderBy(f => f.Rel, StringComparer.Ordinal)
            .Select(f => new SeedModel(f.Rel, f.Full))
            .ToList();
        var real = files.Where(f => f.Name.StartsWith("models/", StringComparison.Ordinal)).ToList();
        var small = files.Where(f => !f.Name.StartsWith("models/", StringComparison.Ordinal)).ToList();
        if (real.Count == 0) real = small;
        if (small.Count == 0) small = real;
        if (small.Count == 0)
        {
            var builtIn = BuiltInSeeds.All();
            return new Corpus($"{builtIn.Count} built-in seed models (no .onnx files under '{root}')", builtIn, builtIn);
        }
        return new Corpus($"{small.Count} operator models and {real.Count} real models under {root} (files up to {maxBytes / 1024} KiB)", small, real);
    }

    public SeedModel Pick(Rng rng) => rng.Chance(0.5) ? rng.Pick(Small) : rng.Pick(Real);
}

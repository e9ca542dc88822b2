using System;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ModelCompiler.Benchmarks;

/// <summary>Floating-point operations one invocation of the benchmark method performs (for GFLOP/s).</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class FlopsAttribute : Attribute
{
    public FlopsAttribute(long flops) => Flops = flops;
    public long Flops { get; }
}

/// <summary>What the report says about a model benchmark class: its name, MACs and scratch bytes (constants of the generated class).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ModelAttribute : Attribute
{
    public ModelAttribute(string name, long macs, int scratchBytes)
    {
        Name = name;
        Macs = macs;
        ScratchBytes = scratchBytes;
    }

    public string Name { get; }
    public long Macs { get; }
    public int ScratchBytes { get; }
}

/// <summary>GFLOP/s from the median time and the case's <see cref="FlopsAttribute"/> (method first, then class).</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => "GFLOPs";
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Floating-point operations per second (2 per multiply-add) at the median time, in 1e9/s";

    public static long? FlopsOf(BenchmarkCase c) =>
        (c.Descriptor.WorkloadMethod.GetCustomAttribute<FlopsAttribute>() ?? c.Descriptor.Type.GetCustomAttribute<FlopsAttribute>())?.Flops;

    public static double? Gflops(Summary summary, BenchmarkCase c)
    {
        var report = summary[c];
        if (FlopsOf(c) is not { } flops || report?.ResultStatistics is not { } stats || stats.Median <= 0) return null;
        return flops / stats.Median; // flops per nanosecond = GFLOP/s
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        Gflops(summary, benchmarkCase) is { } g ? g.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "-";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => FlopsOf(c) is not null);
}

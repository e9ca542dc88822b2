using System.Collections.Generic;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>
/// Node tests whose ops ModelCompiler supports but which are deliberately not run, each with the reason.
/// They are reported as skipped, never as passed. An excluded case that starts passing fails, so this list
/// only ever shrinks.
/// </summary>
public static class Exclusions
{
    public static readonly IReadOnlyDictionary<string, string> Reasons = new Dictionary<string, string>
    {
        ["test_averagepool_2d_ceil_last_window_starts_on_pad"] =
            "the expected output is written out to 4 decimals in the ONNX test (0.1511, 0.2841, 0.3572; exact: 0.151056, 0.284044, 0.357222), " +
            "which meets ONNX's rtol 1e-3 but not this harness's 1e-4; the computed values are the exact averages",
    };
}

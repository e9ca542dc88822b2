using System.Runtime.CompilerServices;

namespace ModelCompiler.Runtime;

/// <summary>
/// How the hot kernel methods (micro-kernels, per-item loops) ask to be compiled: <see cref="Hot"/> is what their
/// <c>[MethodImpl]</c> says.
/// <para>
/// In the plain IL build the JIT compiles them: <c>AggressiveOptimization</c> makes it compile them fully optimized at
/// once, because their tier-0 code (every vector operation a call) would run the first calls of a large layer many
/// times slower. In the ReadyToRun build (<c>MODELCOMPILER_READY_TO_RUN</c>, see the project file and
/// docs/benchmarks.md, "First call") they carry nothing: crossgen does not precompile a method marked
/// <c>AggressiveOptimization</c> (nor, through it, the generic instantiations it calls), so the mark would send
/// every kernel back to the JIT on the first call. Precompiled code is optimized code; tiering replaces the hot
/// methods with tier-1 code after their first 30 calls.
/// </para>
/// </summary>
internal static class KernelCompilation
{
#if MODELCOMPILER_READY_TO_RUN
    public const MethodImplOptions Hot = 0;
#else
    public const MethodImplOptions Hot = MethodImplOptions.AggressiveOptimization;
#endif
}

using FaceNet.Kernels.Driver;

namespace FaceNet.Tests.Cuda;

/// <summary>
/// Runs the self-test kernels of kernels/emu_selftest.cu through <see cref="EmulatedDriver"/> and checks each
/// result against a host computation. Integer-valued inputs keep float sums exact in any order.
/// </summary>
public sealed unsafe class EmulatorSelfTests : IDisposable
{
    private readonly EmulatedDriver _driver = new();
    private readonly CudaModule _module;

    public EmulatorSelfTests()
    {
        _module = _driver.LoadModule("emu_selftest", []);
    }

    public void Dispose() => _driver.Dispose();

    [Fact]
    public void EmulationLibrary_ContainsSelfTestKernels()
    {
        IReadOnlyList<string> names = _driver.KernelNames;

        Assert.Contains("selftest_warp_reduce_divergent", names);
        Assert.Contains("selftest_block_sum_static_shared", names);
        Assert.Contains("selftest_reverse_dynamic_shared", names);
        Assert.Contains("selftest_atomics", names);
        Assert.Contains("selftest_warp_votes", names);
    }

    [Theory]
    [InlineData(1, 32)]
    [InlineData(3, 64)]
    [InlineData(5, 96)]
    public void WarpReduce_DivergentHalfWarpMasks_SumsEachHalf(int blocks, int threadsPerBlock)
    {
        int n = blocks * threadsPerBlock;
        var random = new Random(11);
        float[] input = Enumerable.Range(0, n).Select(_ => (float)random.Next(-50, 50)).ToArray();
        DevicePointer inputPointer = DeviceArrays.Upload(_driver, input);
        DevicePointer outputPointer = DeviceArrays.Filled(_driver, n / 16, float.NaN);

        ulong inputAddress = inputPointer.Address;
        ulong outputAddress = outputPointer.Address;
        void** arguments = stackalloc void*[] { &inputAddress, &outputAddress, &n };
        _driver.Launch(Function("selftest_warp_reduce_divergent"), new Dim3((uint)blocks), new Dim3((uint)threadsPerBlock),
            0, arguments);

        float[] output = DeviceArrays.Download<float>(_driver, outputPointer, n / 16);
        for (int group = 0; group < n / 16; group++)
        {
            float expected = input.Skip(group * 16).Take(16).Sum();
            Assert.Equal(expected, output[group]);
        }
    }

    [Fact]
    public void WarpScan_ShuffleUp_MatchesPrefixSums()
    {
        int n = 128;
        int[] input = Enumerable.Range(0, n).Select(i => (i * 7) % 13 - 6).ToArray();
        DevicePointer inputPointer = DeviceArrays.Upload(_driver, input);
        DevicePointer prefixPointer = DeviceArrays.Filled(_driver, n, -999);
        DevicePointer totalPointer = DeviceArrays.Filled(_driver, n, -999);

        ulong inputAddress = inputPointer.Address;
        ulong prefixAddress = prefixPointer.Address;
        ulong totalAddress = totalPointer.Address;
        void** arguments = stackalloc void*[] { &inputAddress, &prefixAddress, &totalAddress, &n };
        _driver.Launch(Function("selftest_warp_scan"), new Dim3(2), new Dim3(64), 0, arguments);

        int[] prefix = DeviceArrays.Download<int>(_driver, prefixPointer, n);
        int[] total = DeviceArrays.Download<int>(_driver, totalPointer, n);
        for (int i = 0; i < n; i++)
        {
            int warpStart = i / 32 * 32;
            Assert.Equal(input[warpStart..(i + 1)].Sum(), prefix[i]);
            Assert.Equal(input[warpStart..(warpStart + 32)].Sum(), total[i]);
        }
    }

    [Fact]
    public void WarpScan_PartialLastWarp_MatchesPrefixSums()
    {
        // A 48-thread block: lanes 16-31 of the second warp do not exist and count as exited, so
        // full-mask shuffles in that warp complete with the 16 lanes that do.
        int n = 48;
        int[] input = Enumerable.Range(1, n).ToArray();
        DevicePointer inputPointer = DeviceArrays.Upload(_driver, input);
        DevicePointer prefixPointer = DeviceArrays.Filled(_driver, n, -999);
        DevicePointer totalPointer = DeviceArrays.Filled(_driver, n, -999);

        ulong inputAddress = inputPointer.Address;
        ulong prefixAddress = prefixPointer.Address;
        ulong totalAddress = totalPointer.Address;
        void** arguments = stackalloc void*[] { &inputAddress, &prefixAddress, &totalAddress, &n };
        _driver.Launch(Function("selftest_warp_scan"), new Dim3(1), new Dim3(48), 0, arguments);

        int[] prefix = DeviceArrays.Download<int>(_driver, prefixPointer, n);
        for (int i = 0; i < n; i++)
        {
            int warpStart = i / 32 * 32;
            Assert.Equal(input[warpStart..(i + 1)].Sum(), prefix[i]);
        }
    }

    [Theory]
    [InlineData(2u, 3u, 2u, 4u, 2u, 3u)]
    [InlineData(1u, 1u, 1u, 33u, 1u, 1u)]
    [InlineData(3u, 1u, 1u, 1u, 5u, 1u)]
    public void ThreadIndices_3DGridAndBlock_MatchLinearOrder(uint gridX, uint gridY, uint gridZ, uint blockX,
        uint blockY, uint blockZ)
    {
        int threadsPerBlock = (int)(blockX * blockY * blockZ);
        int blocks = (int)(gridX * gridY * gridZ);
        DevicePointer indicesPointer = DeviceArrays.Filled(_driver, 6 * threadsPerBlock * blocks, -1);

        ulong indicesAddress = indicesPointer.Address;
        void** arguments = stackalloc void*[] { &indicesAddress };
        _driver.Launch(Function("selftest_thread_indices"), new Dim3(gridX, gridY, gridZ),
            new Dim3(blockX, blockY, blockZ), 0, arguments);

        int[] indices = DeviceArrays.Download<int>(_driver, indicesPointer, 6 * threadsPerBlock * blocks);
        for (int block = 0; block < blocks; block++)
        {
            for (int thread = 0; thread < threadsPerBlock; thread++)
            {
                int[] expected =
                [
                    thread % (int)blockX, thread / (int)blockX % (int)blockY, thread / (int)(blockX * blockY),
                    block % (int)gridX, block / (int)gridX % (int)gridY, block / (int)(gridX * gridY),
                ];
                int start = 6 * (block * threadsPerBlock + thread);
                Assert.Equal(expected, indices[start..(start + 6)]);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(256)]
    [InlineData(1000)]
    public void BlockSum_StaticSharedWithSyncthreads_MatchesHostSum(int n)
    {
        int blocks = (n + 255) / 256;
        float[] input = Enumerable.Range(0, n).Select(i => (float)(i % 17)).ToArray();
        DevicePointer inputPointer = DeviceArrays.Upload(_driver, input);
        DevicePointer sumsPointer = DeviceArrays.Filled(_driver, blocks, float.NaN);

        ulong inputAddress = inputPointer.Address;
        ulong sumsAddress = sumsPointer.Address;
        void** arguments = stackalloc void*[] { &inputAddress, &sumsAddress, &n };
        _driver.Launch(Function("selftest_block_sum_static_shared"), new Dim3((uint)blocks), new Dim3(256), 0, arguments);

        float[] sums = DeviceArrays.Download<float>(_driver, sumsPointer, blocks);
        for (int block = 0; block < blocks; block++)
        {
            float expected = input.Skip(block * 256).Take(256).Sum();
            Assert.Equal(expected, sums[block]);
        }
    }

    [Fact]
    public void LargeStaticShared_SixteenKiB_LoadsAndExchanges()
    {
        int previousThreads = _driver.ThreadCount;
        _driver.ThreadCount = 4;
        try
        {
            const int blocks = 8;
            int n = blocks * 256;
            float[] input = Enumerable.Range(0, n).Select(i => (float)(i % 97)).ToArray();
            DevicePointer inputPointer = DeviceArrays.Upload(_driver, input);
            DevicePointer outputPointer = DeviceArrays.Filled(_driver, n, float.NaN);

            ulong inputAddress = inputPointer.Address;
            ulong outputAddress = outputPointer.Address;
            void** arguments = stackalloc void*[] { &inputAddress, &outputAddress };
            _driver.Launch(Function("selftest_large_static_shared"), new Dim3(blocks), new Dim3(256), 0, arguments);

            // Thread t reads the 16 values of thread (t + 1) % 256 of its own block: input + k for k = 0..15.
            float[] output = DeviceArrays.Download<float>(_driver, outputPointer, n);
            for (int i = 0; i < n; i++)
            {
                int neighbour = i / 256 * 256 + (i % 256 + 1) % 256;
                float expected = 16 * input[neighbour] + 120;
                Assert.True(expected == output[i], $"thread {i}: {output[i]}, expected {expected}.");
            }
        }
        finally
        {
            _driver.ThreadCount = previousThreads;
        }
    }

    [Fact]
    public void BlockSum_FourOsThreads_KeepsSharedPerBlock()
    {
        int previousThreads = _driver.ThreadCount;
        _driver.ThreadCount = 4;
        try
        {
            int n = 256 * 64;
            float[] input = Enumerable.Range(0, n).Select(i => (float)(i / 256)).ToArray();
            DevicePointer inputPointer = DeviceArrays.Upload(_driver, input);
            DevicePointer sumsPointer = DeviceArrays.Filled(_driver, 64, float.NaN);

            ulong inputAddress = inputPointer.Address;
            ulong sumsAddress = sumsPointer.Address;
            void** arguments = stackalloc void*[] { &inputAddress, &sumsAddress, &n };
            _driver.Launch(Function("selftest_block_sum_static_shared"), new Dim3(64), new Dim3(256), 0, arguments);

            float[] sums = DeviceArrays.Download<float>(_driver, sumsPointer, 64);
            for (int block = 0; block < 64; block++)
            {
                Assert.Equal(256f * block, sums[block]);
            }
        }
        finally
        {
            _driver.ThreadCount = previousThreads;
        }
    }

    [Theory]
    [InlineData(32, 1)]
    [InlineData(128, 3)]
    [InlineData(1024, 2)]
    public void ReverseSlice_DynamicShared_ReversesEachBlock(int threadsPerBlock, int blocks)
    {
        int n = threadsPerBlock * blocks;
        float[] input = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        DevicePointer inputPointer = DeviceArrays.Upload(_driver, input);
        DevicePointer outputPointer = DeviceArrays.Filled(_driver, n, float.NaN);

        ulong inputAddress = inputPointer.Address;
        ulong outputAddress = outputPointer.Address;
        void** arguments = stackalloc void*[] { &inputAddress, &outputAddress, &n };
        _driver.Launch(Function("selftest_reverse_dynamic_shared"), new Dim3((uint)blocks),
            new Dim3((uint)threadsPerBlock), threadsPerBlock * sizeof(float), arguments);

        float[] output = DeviceArrays.Download<float>(_driver, outputPointer, n);
        for (int i = 0; i < n; i++)
        {
            int block = i / threadsPerBlock;
            int mirrored = block * threadsPerBlock + (threadsPerBlock - 1 - i % threadsPerBlock);
            Assert.Equal(input[mirrored], output[i]);
        }
    }

    [Fact]
    public void Atomics_ManyBlocksOnSeveralThreads_AreExact()
    {
        int previousThreads = _driver.ThreadCount;
        _driver.ThreadCount = 4;
        try
        {
            int n = 50_000;
            int[] values = Enumerable.Range(0, n).Select(i => (i * 37) % 1001 - 500).ToArray();
            DevicePointer valuesPointer = DeviceArrays.Upload(_driver, values);
            DevicePointer totalsPointer = DeviceArrays.Filled(_driver, 1, 0f);
            DevicePointer intSumPointer = DeviceArrays.Filled(_driver, 1, 0);
            DevicePointer countPointer = DeviceArrays.Filled(_driver, 1, 0u);
            DevicePointer extremesPointer = DeviceArrays.Upload(_driver, new[] { int.MinValue, int.MaxValue });
            DevicePointer casPointer = DeviceArrays.Filled(_driver, 1, 0);
            DevicePointer exchangedPointer = DeviceArrays.Filled(_driver, 1, int.MinValue);

            ulong valuesAddress = valuesPointer.Address;
            ulong totalsAddress = totalsPointer.Address;
            ulong intSumAddress = intSumPointer.Address;
            ulong countAddress = countPointer.Address;
            ulong extremesAddress = extremesPointer.Address;
            ulong casAddress = casPointer.Address;
            ulong exchangedAddress = exchangedPointer.Address;
            void** arguments = stackalloc void*[]
            {
                &valuesAddress, &n, &totalsAddress, &intSumAddress, &countAddress, &extremesAddress, &casAddress,
                &exchangedAddress,
            };
            _driver.Launch(Function("selftest_atomics"), new Dim3(48), new Dim3(128), 0, arguments);

            // Partial sums stay below 2^24 in magnitude, so the float total is exact in any order.
            Assert.Equal((float)values.Sum(), DeviceArrays.Download<float>(_driver, totalsPointer, 1)[0]);
            Assert.Equal(values.Sum(), DeviceArrays.Download<int>(_driver, intSumPointer, 1)[0]);
            Assert.Equal((uint)n, DeviceArrays.Download<uint>(_driver, countPointer, 1)[0]);
            int[] extremes = DeviceArrays.Download<int>(_driver, extremesPointer, 2);
            Assert.Equal(values.Max(), extremes[0]);
            Assert.Equal(values.Min(), extremes[1]);
            Assert.Equal(n, DeviceArrays.Download<int>(_driver, casPointer, 1)[0]);
            Assert.Contains(DeviceArrays.Download<int>(_driver, exchangedPointer, 1)[0], values);
        }
        finally
        {
            _driver.ThreadCount = previousThreads;
        }
    }

    [Fact]
    public void WarpVotes_FourWarps_MatchHostVotes()
    {
        int n = 128;
        // Warp 0 all true, warp 1 all false, warps 2 and 3 mixed.
        var predicates = new int[n];
        for (int i = 0; i < n; i++)
        {
            bool mixedWarpVote = i >= 64 && i % 3 == 0;
            predicates[i] = i < 32 || mixedWarpVote ? 1 : 0;
        }
        DevicePointer predicatesPointer = DeviceArrays.Upload(_driver, predicates);
        DevicePointer ballotsPointer = DeviceArrays.Filled(_driver, n, 0u);
        DevicePointer anyAllPointer = DeviceArrays.Filled(_driver, 2 * n, -1);
        DevicePointer countsPointer = DeviceArrays.Filled(_driver, n, -1);

        ulong predicatesAddress = predicatesPointer.Address;
        ulong ballotsAddress = ballotsPointer.Address;
        ulong anyAllAddress = anyAllPointer.Address;
        ulong countsAddress = countsPointer.Address;
        void** arguments = stackalloc void*[] { &predicatesAddress, &ballotsAddress, &anyAllAddress, &countsAddress, &n };
        _driver.Launch(Function("selftest_warp_votes"), new Dim3(2), new Dim3(64), 0, arguments);

        uint[] ballots = DeviceArrays.Download<uint>(_driver, ballotsPointer, n);
        int[] anyAll = DeviceArrays.Download<int>(_driver, anyAllPointer, 2 * n);
        int[] counts = DeviceArrays.Download<int>(_driver, countsPointer, n);
        for (int i = 0; i < n; i++)
        {
            int warpStart = i / 32 * 32;
            uint expectedBallot = 0;
            for (int lane = 0; lane < 32; lane++)
            {
                expectedBallot |= (uint)(predicates[warpStart + lane] != 0 ? 1 : 0) << lane;
            }
            int blockStart = i / 64 * 64;

            Assert.Equal(expectedBallot, ballots[i]);
            Assert.Equal(expectedBallot != 0 ? 1 : 0, anyAll[2 * i]);
            Assert.Equal(expectedBallot == uint.MaxValue ? 1 : 0, anyAll[2 * i + 1]);
            Assert.Equal(predicates[blockStart..(blockStart + 64)].Count(p => p != 0), counts[i]);
        }
    }

    private CudaFunction Function(string name) => _driver.GetFunction(_module, name);
}

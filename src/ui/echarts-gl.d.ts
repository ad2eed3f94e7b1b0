// echarts-gl ships no types; its modules only register charts and components with echarts.
declare module "echarts-gl/lib/chart/scatter3D.js";
declare module "echarts-gl/lib/component/grid3D.js";

import { packageConfig } from '../../vitest.shared.mts';
export default packageConfig();

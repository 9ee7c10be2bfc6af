-- AlterEnum
ALTER TYPE "TaskKind" ADD VALUE 'file';
